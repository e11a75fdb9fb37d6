/// IQ4_XS: super-blocks of 256 with 8 groups of 32 on the IQ4_NL grid, 6-bit group scales, one fp16 scale (136 bytes).
/// ggml: `quantize_iq4_xs` (= `quantize_row_iq4_xs_ref`), `dequantize_row_iq4_xs`.
enum IQ4XSCodec {
    static let blockElements = 256
    static let blockBytes = 136

    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 8) { floats in
                let L = buffer.baseAddress!
                let scales = floats.baseAddress!
                for b in 0..<blocks {
                    encodeBlock(x + blockElements * b, y + blockBytes * b, L: L, scales: scales)
                }
            }
        }
    }

    @inline(__always)
    static func encodeBlock(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, L: UnsafeMutablePointer<UInt8>,
                            scales: UnsafeMutablePointer<Float>) {
        var maxScale: Float = 0, amaxScale: Float = 0
        for ib in 0..<8 {
            let d = IQ4NonLinear.searchGroup(x + 32 * ib, L: L)
            scales[ib] = d
            if abs(d) > amaxScale {
                amaxScale = abs(d)
                maxScale = d
            }
        }
        let d = -maxScale / 32
        storeHalf(d, y, 0)
        let id: Float = d != 0 ? 1 / d : 0
        var scalesH: UInt16 = 0
        var scalesL: UInt32 = 0
        for ib in 0..<8 {
            let l = Swift.max(-32, Swift.min(31, GGMLBlockCodec.nearestInt(id * scales[ib])))
            let dl = d * Float(l)
            let idl: Float = dl != 0 ? 1 / dl : 0
            let xb = x + 32 * ib
            for j in 0..<32 { L[j] = IQ4NonLinear.bestIndex(idl * xb[j]) }
            for j in 0..<16 { y.storeBytes(of: L[j] | (L[16 + j] << 4), toByteOffset: 8 + 16 * ib + j, as: UInt8.self) }
            let u = UInt32(l + 32)
            scalesL |= (u & 0xf) << UInt32(4 * ib)
            scalesH |= UInt16(u >> 4) << UInt16(2 * ib)
        }
        y.storeBytes(of: scalesH.littleEndian, toByteOffset: 2, as: UInt16.self)
        y.storeBytes(of: scalesL.littleEndian, toByteOffset: 4, as: UInt32.self)
    }

    static func decode(_ y: UnsafeRawPointer, blocks: Int, into x: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let yb = y + blockBytes * b
            let out = x + blockElements * b
            let d = loadHalf(yb, 0)
            let scalesH = UInt32(UInt16(littleEndian: yb.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
            for ib in 0..<8 {
                let sl = UInt32(yb.load(fromByteOffset: 4 + ib / 2, as: UInt8.self))
                let ls = Int32(((sl >> UInt32(4 * (ib % 2))) & 0xf) | (((scalesH >> UInt32(2 * ib)) & 3) << 4))
                let dl = d * Float(ls - 32)
                for j in 0..<16 {
                    let q = yb.load(fromByteOffset: 8 + 16 * ib + j, as: UInt8.self)
                    out[32 * ib + j] = dl * IQ4NonLinear.value(Int(q & 0xf))
                    out[32 * ib + 16 + j] = dl * IQ4NonLinear.value(Int(q >> 4))
                }
            }
        }
    }
}
