/// Q5_1: blocks of 32 5-bit values with fp16 scale and fp16 minimum (24 bytes). ggml: `quantize_row_q5_1_ref`, `dequantize_row_q5_1`.
enum Q5_1Codec {
    static let blockElements = 32
    static let blockBytes = 24

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
            let d = (max - min) / 31
            // With a subnormal d, 1/d overflows and C's float-to-int conversions of ±inf take over: scalar code.
            guard d == 0 || d.isNormal else {
                encodeScalar(xb, blocks: 1, into: yb)
                continue
            }
            let id: Float = d != 0 ? 1 / d : 0
            storeHalf(d, yb, 0)
            storeHalf(min, yb, 2)
            @inline(__always) func level(_ v: S.V) -> S.U {
                let t = S.truncNonNegative((v - min) * id + 0.5)
                return S.intBits(t)
            }
            let q0 = level(v0), q1 = level(v1), q2 = level(v2), q3 = level(v3)
            S.storeBytes((q0 & 0xf) | ((q2 & 0xf) &<< 4), yb, 8)
            S.storeBytes((q1 & 0xf) | ((q3 & 0xf) &<< 4), yb, 16)
            var qh: UInt32 = 0
            let h0 = (q0 &>> 4) & 1, h1 = (q1 &>> 4) & 1, h2 = (q2 &>> 4) & 1, h3 = (q3 &>> 4) & 1
            for j in 0..<8 {
                qh |= h0[j] << UInt32(j) | h1[j] << UInt32(8 + j) | h2[j] << UInt32(16 + j) | h3[j] << UInt32(24 + j)
            }
            yb.storeBytes(of: qh.littleEndian, toByteOffset: 4, as: UInt32.self)
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
            let d = (max - min) / 31
            let id: Float = d != 0 ? 1 / d : 0
            storeHalf(d, yb, 0)
            storeHalf(min, yb, 2)
            var qh: UInt32 = 0
            for j in 0..<16 {
                // ggml converts straight to uint8_t here, without a MIN(31, …).
                let q0 = UInt32(UInt8(truncatingIfNeeded: truncatingInt32((xb[j] - min) * id + 0.5)))
                let q1 = UInt32(UInt8(truncatingIfNeeded: truncatingInt32((xb[j + 16] - min) * id + 0.5)))
                let byte = UInt8(truncatingIfNeeded: (q0 & 0x0f) | ((q1 & 0x0f) << 4))
                yb.storeBytes(of: byte, toByteOffset: 8 + j, as: UInt8.self)
                qh |= ((q0 & 0x10) >> 4) << UInt32(j)
                qh |= ((q1 & 0x10) >> 4) << UInt32(j + 16)
            }
            yb.storeBytes(of: qh.littleEndian, toByteOffset: 4, as: UInt32.self)
        }
    }

    static func decode(_ y: UnsafeRawPointer, blocks: Int, into x: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let yb = y + blockBytes * b
            let xb = x + blockElements * b
            let d = loadHalf(yb, 0)
            let m = loadHalf(yb, 2)
            let qh = UInt32(littleEndian: yb.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            for j in 0..<16 {
                let q = UInt32(yb.load(fromByteOffset: 8 + j, as: UInt8.self))
                let h0 = ((qh >> UInt32(j)) << 4) & 0x10
                let h1 = (qh >> UInt32(j + 12)) & 0x10
                xb[j] = Float((q & 0x0f) | h0) * d + m
                xb[j + 16] = Float((q >> 4) | h1) * d + m
            }
        }
    }
}
