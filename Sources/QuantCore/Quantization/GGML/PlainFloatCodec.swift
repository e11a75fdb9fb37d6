/// F32, F16 and BF16 element types, converted as ggml converts them.
enum PlainFloatCodec {
    static func decodeF32(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        }
    }

    static func decodeF16(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        for i in 0..<count { dst[i] = loadHalf(src, 2 * i) }
    }

    static func decodeBF16(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            let bits = UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            dst[i] = Float(bitPattern: UInt32(bits) << 16)
        }
    }

    static func encodeF32(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        for i in 0..<count { dst.storeBytes(of: src[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
    }

    static func encodeF16(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        for i in 0..<count { storeHalf(src[i], dst, 2 * i) }
    }

    /// ggml's `ggml_compute_fp32_to_bf16`: round to nearest even; NaN stays NaN (quieted).
    static func encodeBF16(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        for i in 0..<count {
            let u = src[i].bitPattern
            let bits: UInt16
            if u & 0x7fff_ffff > 0x7f80_0000 {
                bits = UInt16(truncatingIfNeeded: u >> 16) | 64
            } else {
                bits = UInt16(truncatingIfNeeded: (u &+ (0x7fff &+ ((u >> 16) & 1))) >> 16)
            }
            dst.storeBytes(of: bits.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
        }
    }
}
