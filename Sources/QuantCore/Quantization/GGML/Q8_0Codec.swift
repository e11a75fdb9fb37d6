/// Q8_0: blocks of 32 int8 with one fp16 scale (34 bytes). ggml: `quantize_row_q8_0_ref`, `dequantize_row_q8_0`.
enum Q8_0Codec {
    static let blockElements = 32
    static let blockBytes = 34

    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        typealias S = LegacyBlockLanes
        for b in 0..<blocks {
            let xb = x + blockElements * b
            let yb = y + blockBytes * b
            let v0 = S.load(xb, 0), v1 = S.load(xb, 1)
            let (lo, hi, finite) = S.range(v0, v1)
            // max |x| with a +0 for an all-zero block, as ggml's MAX(amax, fabsf(v)) from 0.
            let amax = Float(bitPattern: (hi > -lo ? hi : -lo).bitPattern & 0x7fff_ffff)
            let d = amax / 127
            guard S.isTame(lo: lo, hi: hi, finite: finite, d: d) else {
                encodeScalar(xb, blocks: 1, into: yb)
                continue
            }
            let id: Float = d != 0 ? 1 / d : 0
            storeHalf(d, yb, 0)
            S.storeBytes(S.roundAwayBits(v0 * id), yb, 2)
            S.storeBytes(S.roundAwayBits(v1 * id), yb, 18)
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
