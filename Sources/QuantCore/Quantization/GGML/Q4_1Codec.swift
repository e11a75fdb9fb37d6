/// Q4_1: blocks of 32 4-bit values with fp16 scale and fp16 minimum (20 bytes). ggml: `quantize_row_q4_1_ref`, `dequantize_row_q4_1`.
enum Q4_1Codec {
    static let blockElements = 32
    static let blockBytes = 20

    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        typealias S = LegacyBlockLanes
        withUnsafeTemporaryAllocation(of: SIMD2<Float>.self, capacity: S.group) { buffer in
            let params = buffer.baseAddress!
            var first = 0
            while first < blocks {
                let n = Swift.min(S.group, blocks - first)
                let xg = x + blockElements * first, yg = y + blockBytes * first
                for k in 0..<n {
                    let xb = xg + blockElements * k, yb = yg + blockBytes * k
                    let (min, max) = S.extremes(S.load(xb, 0), S.load(xb, 1))
                    let d = (max - min) / 15
                    let id: Float = d != 0 ? 1 / d : 0
                    storeHalf(d, yb, 0)
                    storeHalf(min, yb, 2)
                    // A zero minimum may be -0 or +0 depending on which came first; the scalar code keeps ggml's.
                    params[k] = SIMD2(min, min != 0 && S.isFastScale(d) ? id : .nan)
                }
                for k in 0..<n {
                    let xb = xg + blockElements * k, yb = yg + blockBytes * k
                    let min = params[k][0], id = params[k][1]
                    // t = (x − min)·id + 0.5 lies in [0.5, 15.5]; the level is MIN(15, (int)t).
                    let c0 = S.codes((S.load(xb, 0) - min) * id + 0.5), c1 = S.codes((S.load(xb, 1) - min) * id + 0.5)
                    guard S.areCodes(c0, c1) else {
                        encodeScalar(xb, blocks: 1, into: yb)
                        continue
                    }
                    yb.storeBytes(of: S.nibbles(S.capped(c0, level: 15), S.capped(c1, level: 15)), toByteOffset: 4, as: S.B.self)
                }
                first += n
            }
        }
    }

    /// Direct transcription of ggml's scalar code (used for blocks with non-finite values, a subnormal scale or a zero minimum).
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
