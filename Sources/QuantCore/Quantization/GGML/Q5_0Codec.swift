/// Q5_0: blocks of 32 5-bit values with one fp16 scale, offset 16 (22 bytes). ggml: `quantize_row_q5_0_ref`, `dequantize_row_q5_0`.
enum Q5_0Codec {
    static let blockElements = 32
    static let blockBytes = 22

    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        LegacyBlockLanes.encodeTwoPass(Self.self, x, blocks: blocks, into: y)
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
            let d = max / -16
            let id: Float = d != 0 ? 1 / d : 0
            storeHalf(d, yb, 0)
            var qh: UInt32 = 0
            for j in 0..<16 {
                let q0 = UInt32(truncatingIfNeeded: Swift.min(31, Int32(Int8(truncatingIfNeeded: truncatingInt32(xb[j] * id + 16.5)))))
                let q1 = UInt32(truncatingIfNeeded: Swift.min(31, Int32(Int8(truncatingIfNeeded: truncatingInt32(xb[j + 16] * id + 16.5)))))
                let byte = UInt8(truncatingIfNeeded: (q0 & 0x0f) | ((q1 & 0x0f) << 4))
                yb.storeBytes(of: byte, toByteOffset: 6 + j, as: UInt8.self)
                qh |= ((q0 & 0x10) >> 4) << UInt32(j)
                qh |= ((q1 & 0x10) >> 4) << UInt32(j + 16)
            }
            yb.storeBytes(of: qh.littleEndian, toByteOffset: 2, as: UInt32.self)
        }
    }

    static func decode(_ y: UnsafeRawPointer, blocks: Int, into x: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let yb = y + blockBytes * b
            let xb = x + blockElements * b
            let d = loadHalf(yb, 0)
            let qh = UInt32(littleEndian: yb.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            for j in 0..<16 {
                let q = UInt32(yb.load(fromByteOffset: 6 + j, as: UInt8.self))
                let h0 = ((qh >> UInt32(j)) << 4) & 0x10
                let h1 = (qh >> UInt32(j + 12)) & 0x10
                xb[j] = Float(Int32((q & 0x0f) | h0) - 16) * d
                xb[j + 16] = Float(Int32((q >> 4) | h1) - 16) * d
            }
        }
    }
}

extension Q5_0Codec: LegacyTwoPassFormat {
    static var maxLevel: UInt8 { 31 }
    static var subtractsOffset: Bool { false }
    static var capsLevels: Bool { true }
}
