/// Q4_1: blocks of 32 4-bit values with fp16 scale and fp16 minimum (20 bytes). ggml: `quantize_row_q4_1_ref`, `dequantize_row_q4_1`.
enum Q4_1Codec {
    static let blockElements = 32
    static let blockBytes = 20

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

extension Q4_1Codec: LegacyTwoPassFormat {
    static var maxLevel: UInt8 { 15 }
    static var subtractsOffset: Bool { true }
    static var capsLevels: Bool { true }
}
