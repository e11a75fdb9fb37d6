/// Q4_0: blocks of 32 4-bit values with one fp16 scale, offset 8 (18 bytes). ggml: `quantize_row_q4_0_ref`, `dequantize_row_q4_0`.
enum Q4_0Codec {
    static let blockElements = 32
    static let blockBytes = 18

    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        typealias S = LegacyBlockLanes
        for b in 0..<blocks {
            let xb = x + blockElements * b
            let yb = y + blockBytes * b
            let v0 = S.load(xb, 0), v1 = S.load(xb, 1), v2 = S.load(xb, 2), v3 = S.load(xb, 3)
            guard S.isTame(v0, v1, v2, v3) else {
                encodeScalar(xb, blocks: 1, into: yb)
                continue
            }
            let d = S.signedAbsMax(xb, v0, v1, v2, v3) / -8
            // With a subnormal d, 1/d overflows and C's float-to-int conversions of ±inf take over: scalar code.
            guard d == 0 || d.isNormal else {
                encodeScalar(xb, blocks: 1, into: yb)
                continue
            }
            let id: Float = d != 0 ? 1 / d : 0
            storeHalf(d, yb, 0)
            let cap = S.V(repeating: 15)
            @inline(__always) func level(_ v: S.V) -> S.U {
                let t = S.truncNonNegative(v * id + 8.5)
                return S.intBits(t.replacing(with: cap, where: t .> cap))
            }
            let q0 = level(v0), q1 = level(v1), q2 = level(v2), q3 = level(v3)
            S.storeBytes((q0 & 0xf) | ((q2 & 0xf) &<< 4), yb, 2)
            S.storeBytes((q1 & 0xf) | ((q3 & 0xf) &<< 4), yb, 10)
        }
    }

    /// Direct transcription of ggml's scalar code (used for blocks with non-finite or huge values).
    static func encodeScalar(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        for b in 0..<blocks {
            let xb = x + blockElements * b
            let yb = y + blockBytes * b
            var amax: Float = 0
            var max: Float = 0
            for j in 0..<32 {
                let v = xb[j]
                if amax < abs(v) {
                    amax = abs(v)
                    max = v
                }
            }
            let d = max / -8
            let id: Float = d != 0 ? 1 / d : 0
            storeHalf(d, yb, 0)
            for j in 0..<16 {
                let q0 = Swift.min(15, Int32(Int8(truncatingIfNeeded: truncatingInt32(xb[j] * id + 8.5))))
                let q1 = Swift.min(15, Int32(Int8(truncatingIfNeeded: truncatingInt32(xb[j + 16] * id + 8.5))))
                let byte = UInt8(truncatingIfNeeded: q0) | (UInt8(truncatingIfNeeded: q1) << 4)
                yb.storeBytes(of: byte, toByteOffset: 2 + j, as: UInt8.self)
            }
        }
    }

    static func decode(_ y: UnsafeRawPointer, blocks: Int, into x: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let yb = y + blockBytes * b
            let xb = x + blockElements * b
            let d = loadHalf(yb, 0)
            for j in 0..<16 {
                let q = yb.load(fromByteOffset: 2 + j, as: UInt8.self)
                xb[j] = Float(Int32(q & 0x0f) - 8) * d
                xb[j + 16] = Float(Int32(q >> 4) - 8) * d
            }
        }
    }
}
