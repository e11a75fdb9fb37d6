/// Q4_0: blocks of 32 4-bit values with one fp16 scale, offset 8 (18 bytes). ggml: `quantize_row_q4_0_ref`, `dequantize_row_q4_0`.
enum Q4_0Codec {
    static let blockElements = 32
    static let blockBytes = 18

    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        LegacyBlockBatches.encode(Self.self, x, blocks: blocks, into: y)
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

extension Q4_0Codec: LegacyTwoPassFormat {
    static var maxLevel: UInt8 { 15 }
    static var subtractsOffset: Bool { false }
    static var capsLevels: Bool { true }
}
