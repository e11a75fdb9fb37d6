/// Q5_K: super-blocks of 256 with 8 sub-blocks of 32, 5-bit values, 6-bit scales and mins (176 bytes).
/// ggml: `quantize_row_q5_K_ref`, `dequantize_row_q5_K`.
enum Q5KCodec {
    static let blockElements = 256
    static let blockBytes = 176

    /// `scalarOnly` forces the direct transcription of ggml's code (tests compare the two paths).
    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer, scalarOnly: Bool = false) {
        KQuantScaleMinQuantizer.withScratch { scratch in
            for b in 0..<blocks {
                let xb = x + blockElements * b
                let yb = y + blockBytes * b
                KQuantScaleMinQuantizer.quantize(xb, scalarOnly: scalarOnly, nmax: 31, rmin: -0.5, rdelta: 0.1, nstep: 15, scratch: scratch, header: yb)
                let L = scratch.L
                for l in 0..<32 {
                    var qh: UInt8 = 0
                    for c in 0..<4 {
                        var l1 = L[64 * c + l]
                        if l1 > 15 {
                            l1 -= 16
                            qh |= 1 << UInt8(2 * c)
                        }
                        var l2 = L[64 * c + l + 32]
                        if l2 > 15 {
                            l2 -= 16
                            qh |= 2 << UInt8(2 * c)
                        }
                        yb.storeBytes(of: l1 | (l2 << 4), toByteOffset: 48 + 32 * c + l, as: UInt8.self)
                    }
                    yb.storeBytes(of: qh, toByteOffset: 16 + l, as: UInt8.self)
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
                let u1 = UInt8(1) << UInt8(2 * c), u2 = UInt8(2) << UInt8(2 * c)
                let q = yb + 48 + 32 * c
                for l in 0..<32 {
                    let v = q.load(fromByteOffset: l, as: UInt8.self)
                    let h = yb.load(fromByteOffset: 16 + l, as: UInt8.self)
                    out[64 * c + l] = d1 * Float(Int32(v & 0xf) + (h & u1 != 0 ? 16 : 0)) - mm1
                    out[64 * c + 32 + l] = d2 * Float(Int32(v >> 4) + (h & u2 != 0 ? 16 : 0)) - mm2
                }
            }
        }
    }
}
