/// Q4_0: blocks of 32 4-bit values with one fp16 scale, offset 8 (18 bytes). ggml: `quantize_row_q4_0_ref`, `dequantize_row_q4_0`.
enum Q4_0Codec {
    static let blockElements = 32
    static let blockBytes = 18

    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        typealias S = LegacyBlockLanes
        for b in 0..<blocks {
            let xb = x + blockElements * b
            let yb = y + blockBytes * b
            let v0 = S.load(xb, 0), v1 = S.load(xb, 1)
            let (lo, hi, finite) = S.range(v0, v1)
            let max = S.signedAbsMax(xb, lo: lo, hi: hi)
            let d = max / -8
            guard S.isTame(lo: lo, hi: hi, finite: finite, d: d) else {
                encodeScalar(xb, blocks: 1, into: yb)
                continue
            }
            let id: Float = d != 0 ? 1 / d : 0
            storeHalf(d, yb, 0)
            // x·id + 8.5 lies in [0, 16.5]: C's MIN(15, (int8_t)t) is the truncation of min(t, 15).
            let q0 = S.truncBits(S.capped(v0 * id + 8.5, 15)), q1 = S.truncBits(S.capped(v1 * id + 8.5, 15))
            // Levels are at most 15, so each lane's low byte is the level and the shifted one carries nothing below bit 4.
            S.storeBytes(q0 | (q1 &<< 4), yb, 2)
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
