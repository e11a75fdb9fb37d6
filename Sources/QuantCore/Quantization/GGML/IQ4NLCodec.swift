/// IQ4_NL: blocks of 32 indices into a non-linear 4-bit grid with one fp16 scale (18 bytes).
/// ggml: `quantize_iq4_nl` (the llama-quantize path, scale search with ntry = 7), `dequantize_row_iq4_nl`.
enum IQ4NLCodec {
    static let blockElements = 32
    static let blockBytes = 18

    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            let L = buffer.baseAddress!
            for b in 0..<blocks {
                let xb = x + blockElements * b
                let yb = y + blockBytes * b
                let d = IQ4NonLinear.searchGroup(xb, L: L)
                storeHalf(d, yb, 0)
                let id: Float = d != 0 ? 1 / d : 0
                for j in 0..<32 { L[j] = IQ4NonLinear.bestIndex(id * xb[j]) }
                for j in 0..<16 { yb.storeBytes(of: L[j] | (L[16 + j] << 4), toByteOffset: 2 + j, as: UInt8.self) }
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
                xb[j] = d * IQ4NonLinear.value(Int(q & 0xf))
                xb[j + 16] = d * IQ4NonLinear.value(Int(q >> 4))
            }
        }
    }
}
