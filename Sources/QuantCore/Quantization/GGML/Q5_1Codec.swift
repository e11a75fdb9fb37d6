/// Q5_1: blocks of 32 5-bit values with fp16 scale and fp16 minimum (24 bytes). ggml: `quantize_row_q5_1_ref`, `dequantize_row_q5_1`.
enum Q5_1Codec {
    static let blockElements = 32
    static let blockBytes = 24

    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        LegacyBlockBatches.encode(Self.self, x, blocks: blocks, into: y)
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

extension Q5_1Codec: LegacyTwoPassFormat {
    static var maxLevel: UInt8 { 31 }
    static var subtractsOffset: Bool { true }
    // ggml takes (int)t without a MIN for Q5_1.
    static var capsLevels: Bool { false }
}
