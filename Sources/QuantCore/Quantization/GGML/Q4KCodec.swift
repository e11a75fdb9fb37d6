/// Q4_K: super-blocks of 256 with 8 sub-blocks of 32, 4-bit values, 6-bit scales and mins (144 bytes).
/// ggml: `quantize_row_q4_K_ref`, `dequantize_row_q4_K`.
enum Q4KCodec {
    static let blockElements = 256
    static let blockBytes = 144

    /// `scalarOnly` forces the direct transcription of ggml's code (tests compare the two paths).
    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer, scalarOnly: Bool = false) {
        KQuantScaleMinQuantizer.withScratch { scratch in
            for b in 0..<blocks {
                let xb = x + blockElements * b
                let yb = y + blockBytes * b
                KQuantScaleMinQuantizer.quantize(xb, scalarOnly: scalarOnly, nmax: 15, rmin: -1, rdelta: 0.1, nstep: 20, scratch: scratch, header: yb)
                let L = scratch.L
                for c in 0..<4 {
                    for l in 0..<32 {
                        yb.storeBytes(of: L[64 * c + l] | (L[64 * c + l + 32] << 4), toByteOffset: 16 + 32 * c + l, as: UInt8.self)
                    }
                }
            }
        }
    }

    static func decode(_ y: UnsafeRawPointer, blocks: Int, into x: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let yb = y + blockBytes * b
            let out = x + blockElements * b
            let d = loadHalf(yb, 0)
            let dmin = loadHalf(yb, 2)
            for c in 0..<4 {
                let (sc1, m1) = KQuantScales.unpack(2 * c, yb + 4)
                let (sc2, m2) = KQuantScales.unpack(2 * c + 1, yb + 4)
                let d1 = d * Float(sc1), mm1 = dmin * Float(m1)
                let d2 = d * Float(sc2), mm2 = dmin * Float(m2)
                let q = yb + 16 + 32 * c
                for l in 0..<32 {
                    let v = q.load(fromByteOffset: l, as: UInt8.self)
                    out[64 * c + l] = d1 * Float(v & 0xf) - mm1
                    out[64 * c + 32 + l] = d2 * Float(v >> 4) - mm2
                }
            }
        }
    }
}
