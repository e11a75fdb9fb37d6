/// Q4_0: blocks of 32 4-bit values with one fp16 scale, offset 8 (18 bytes). ggml: `quantize_row_q4_0_ref`, `dequantize_row_q4_0`.
enum Q4_0Codec {
    static let blockElements = 32
    static let blockBytes = 18

    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        typealias S = LegacyBlockLanes
        // Two passes over each group of blocks (see `LegacyBlockLanes.group`).
        withUnsafeTemporaryAllocation(of: Float.self, capacity: S.group) { buffer in
            let ids = buffer.baseAddress!
            var first = 0
            while first < blocks {
                let n = Swift.min(S.group, blocks - first)
                let xg = x + blockElements * first, yg = y + blockBytes * first
                for k in 0..<n {
                    let xb = xg + blockElements * k
                    let (lo, hi) = S.extremes(S.load(xb, 0), S.load(xb, 1))
                    let d = S.signedAbsMax(xb, lo: lo, hi: hi) / -8
                    let id: Float = d != 0 ? 1 / d : 0
                    storeHalf(d, yg + blockBytes * k, 0)
                    // A NaN id sends the block to the scalar code.
                    ids[k] = S.isFastScale(d) ? id : .nan
                }
                for k in 0..<n {
                    let xb = xg + blockElements * k, yb = yg + blockBytes * k
                    let id = ids[k]
                    // t = x·id + 8.5 lies in [0.5, 16.5]; the level is MIN(15, (int)t).
                    let c0 = S.codes(S.load(xb, 0) * id + 8.5), c1 = S.codes(S.load(xb, 1) * id + 8.5)
                    guard S.areCodes(c0, c1) else {
                        encodeScalar(xb, blocks: 1, into: yb)
                        continue
                    }
                    yb.storeBytes(of: S.nibbles(S.capped(c0, level: 15), S.capped(c1, level: 15)), toByteOffset: 2, as: S.B.self)
                }
                first += n
            }
        }
    }

    /// Direct transcription of ggml's scalar code (used for blocks with non-finite values or a subnormal scale).
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
