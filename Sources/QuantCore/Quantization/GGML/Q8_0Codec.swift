/// Q8_0: blocks of 32 int8 with one fp16 scale (34 bytes). ggml: `quantize_row_q8_0_ref`, `dequantize_row_q8_0`.
enum Q8_0Codec {
    static let blockElements = 32
    static let blockBytes = 34

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
            var m = S.abs(v0)
            m.replace(with: S.abs(v1), where: S.abs(v1) .> m)
            m.replace(with: S.abs(v2), where: S.abs(v2) .> m)
            m.replace(with: S.abs(v3), where: S.abs(v3) .> m)
            let d = S.hmax(m) / 127
            // With a subnormal d, 1/d overflows and C's float-to-int conversions of ±inf take over: scalar code.
            guard d == 0 || d.isNormal else {
                encodeScalar(xb, blocks: 1, into: yb)
                continue
            }
            let id: Float = d != 0 ? 1 / d : 0
            storeHalf(d, yb, 0)
            S.storeBytes(S.intBits(S.roundAway(v0 * id)), yb, 2)
            S.storeBytes(S.intBits(S.roundAway(v1 * id)), yb, 10)
            S.storeBytes(S.intBits(S.roundAway(v2 * id)), yb, 18)
            S.storeBytes(S.intBits(S.roundAway(v3 * id)), yb, 26)
        }
    }

    /// Direct transcription of ggml's scalar code (used for blocks with non-finite or huge values).
    static func encodeScalar(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        for b in 0..<blocks {
            let xb = x + blockElements * b
            let yb = y + blockBytes * b
            var amax: Float = 0
            for j in 0..<32 {
                let a = abs(xb[j])
                amax = amax > a ? amax : a
            }
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            storeHalf(d, yb, 0)
            for j in 0..<32 {
                let q = (xb[j] * id).rounded(.toNearestOrAwayFromZero)
                yb.storeBytes(of: UInt8(truncatingIfNeeded: truncatingInt32(q)), toByteOffset: 2 + j, as: UInt8.self)
            }
        }
    }

    static func decode(_ y: UnsafeRawPointer, blocks: Int, into x: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let yb = y + blockBytes * b
            let xb = x + blockElements * b
            let d = loadHalf(yb, 0)
            for j in 0..<32 {
                xb[j] = Float(yb.load(fromByteOffset: 2 + j, as: Int8.self)) * d
            }
        }
    }
}
