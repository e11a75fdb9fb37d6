/// Q4_1: blocks of 32 4-bit values with fp16 scale and fp16 minimum (20 bytes). ggml: `quantize_row_q4_1_ref`, `dequantize_row_q4_1`.
enum Q4_1Codec {
    static let blockElements = 32
    static let blockBytes = 20

    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        typealias S = LegacyBlockLanes
        for b in 0..<blocks {
            let xb = x + blockElements * b
            let yb = y + blockBytes * b
            let v0 = S.load(xb, 0), v1 = S.load(xb, 1), v2 = S.load(xb, 2), v3 = S.load(xb, 3)
            var lo = v0, hi = v0
            lo.replace(with: v1, where: v1 .< lo)
            hi.replace(with: v1, where: v1 .> hi)
            lo.replace(with: v2, where: v2 .< lo)
            hi.replace(with: v2, where: v2 .> hi)
            lo.replace(with: v3, where: v3 .< lo)
            hi.replace(with: v3, where: v3 .> hi)
            let min = S.hmin(lo), max = S.hmax(hi)
            // A zero extreme may be -0 or +0 depending on which came first: leave that to the scalar code.
            guard S.isTame(v0, v1, v2, v3), min != 0, max != 0 else {
                encodeScalar(xb, blocks: 1, into: yb)
                continue
            }
            let d = (max - min) / 15
            // With a subnormal d, 1/d overflows and C's float-to-int conversions of ±inf take over: scalar code.
            guard d == 0 || d.isNormal else {
                encodeScalar(xb, blocks: 1, into: yb)
                continue
            }
            let id: Float = d != 0 ? 1 / d : 0
            storeHalf(d, yb, 0)
            storeHalf(min, yb, 2)
            let cap = S.V(repeating: 15)
            _ = cap
            @inline(__always) func level(_ v: S.V) -> S.U {
                let t = S.truncNonNegative((v - min) * id + 0.5)
                return S.intBits(t.replacing(with: cap, where: t .> cap))
            }
            let q0 = level(v0), q1 = level(v1), q2 = level(v2), q3 = level(v3)
            S.storeBytes((q0 & 0xf) | ((q2 & 0xf) &<< 4), yb, 4)
            S.storeBytes((q1 & 0xf) | ((q3 & 0xf) &<< 4), yb, 12)
        }
    }

    /// Direct transcription of ggml's scalar code (used for blocks with non-finite or huge values, or a zero extreme).
    static func encodeScalar(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        for b in 0..<blocks {
            let xb = x + blockElements * b
            let yb = y + blockBytes * b
            var min = Float.greatestFiniteMagnitude
            var max = -Float.greatestFiniteMagnitude
            for j in 0..<32 {
                let v = xb[j]
                if v < min { min = v }
                if v > max { max = v }
            }
            let d = (max - min) / 15
            let id: Float = d != 0 ? 1 / d : 0
            storeHalf(d, yb, 0)
            storeHalf(min, yb, 2)
            for j in 0..<16 {
                let q0 = Swift.min(15, Int32(Int8(truncatingIfNeeded: truncatingInt32((xb[j] - min) * id + 0.5))))
                let q1 = Swift.min(15, Int32(Int8(truncatingIfNeeded: truncatingInt32((xb[j + 16] - min) * id + 0.5))))
                let byte = UInt8(truncatingIfNeeded: q0) | (UInt8(truncatingIfNeeded: q1) << 4)
                yb.storeBytes(of: byte, toByteOffset: 4 + j, as: UInt8.self)
            }
        }
    }

    static func decode(_ y: UnsafeRawPointer, blocks: Int, into x: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let yb = y + blockBytes * b
            let xb = x + blockElements * b
            let d = loadHalf(yb, 0)
            let m = loadHalf(yb, 2)
            for j in 0..<16 {
                let q = yb.load(fromByteOffset: 4 + j, as: UInt8.self)
                xb[j] = Float(q & 0x0f) * d + m
                xb[j + 16] = Float(q >> 4) * d + m
            }
        }
    }
}
