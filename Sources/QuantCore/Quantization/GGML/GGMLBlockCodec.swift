/// Bit-exact GGUF block codecs: llama.cpp's reference quantisers and dequantisers in Swift.
///
/// `encode` reproduces the bytes `llama-quantize` writes without an importance matrix
/// (`quantize_row_<type>_ref`, and `quantize_iq4_nl`/`quantize_iq4_xs` for the IQ4 types);
/// `decode` reproduces `dequantize_row_<type>` float for float.
public enum GGMLBlockCodec {
    /// Whether `decode` supports the type (block types implemented here plus F32, F16, BF16).
    public static func canDecode(_ type: GGMLType) -> Bool {
        switch type {
        case .f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1,
             .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_nl, .iq4_xs:
            true
        default:
            false
        }
    }

    /// Whether `encode` supports the type bit-exactly.
    public static func canEncode(_ type: GGMLType) -> Bool { canDecode(type) }

    /// Dequantises `count` elements (a multiple of type.blockSize) stored as consecutive blocks at `source` into `destination`.
    public static func decode(_ type: GGMLType, from source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(canDecode(type), "GGMLBlockCodec: cannot decode \(type.name)")
        precondition(count >= 0 && count % type.blockSize == 0, "GGMLBlockCodec: \(count) is not a multiple of \(type.name)'s block size \(type.blockSize)")
        let blocks = count / type.blockSize
        switch type {
        case .f32: PlainFloatCodec.decodeF32(source, count: count, into: destination)
        case .f16: PlainFloatCodec.decodeF16(source, count: count, into: destination)
        case .bf16: PlainFloatCodec.decodeBF16(source, count: count, into: destination)
        case .q8_0: Q8_0Codec.decode(source, blocks: blocks, into: destination)
        case .q4_0: Q4_0Codec.decode(source, blocks: blocks, into: destination)
        case .q4_1: Q4_1Codec.decode(source, blocks: blocks, into: destination)
        case .q5_0: Q5_0Codec.decode(source, blocks: blocks, into: destination)
        case .q5_1: Q5_1Codec.decode(source, blocks: blocks, into: destination)
        case .q2_K: Q2KCodec.decode(source, blocks: blocks, into: destination)
        case .q3_K: Q3KCodec.decode(source, blocks: blocks, into: destination)
        case .q4_K: Q4KCodec.decode(source, blocks: blocks, into: destination)
        case .q5_K: Q5KCodec.decode(source, blocks: blocks, into: destination)
        case .q6_K: Q6KCodec.decode(source, blocks: blocks, into: destination)
        case .iq4_nl: IQ4NLCodec.decode(source, blocks: blocks, into: destination)
        case .iq4_xs: IQ4XSCodec.decode(source, blocks: blocks, into: destination)
        default: preconditionFailure("unreachable")
        }
    }

    /// Quantises `count` elements (a multiple of type.blockSize) into consecutive blocks at `destination`
    /// (count / blockSize * blockBytes bytes), byte-identical to ggml's reference quantiser.
    public static func encode(_ type: GGMLType, from source: UnsafePointer<Float>, count: Int, into destination: UnsafeMutableRawPointer) {
        precondition(canEncode(type), "GGMLBlockCodec: cannot encode \(type.name)")
        precondition(count >= 0 && count % type.blockSize == 0, "GGMLBlockCodec: \(count) is not a multiple of \(type.name)'s block size \(type.blockSize)")
        let blocks = count / type.blockSize
        switch type {
        case .f32: PlainFloatCodec.encodeF32(source, count: count, into: destination)
        case .f16: PlainFloatCodec.encodeF16(source, count: count, into: destination)
        case .bf16: PlainFloatCodec.encodeBF16(source, count: count, into: destination)
        case .q8_0: Q8_0Codec.encode(source, blocks: blocks, into: destination)
        case .q4_0: Q4_0Codec.encode(source, blocks: blocks, into: destination)
        case .q4_1: Q4_1Codec.encode(source, blocks: blocks, into: destination)
        case .q5_0: Q5_0Codec.encode(source, blocks: blocks, into: destination)
        case .q5_1: Q5_1Codec.encode(source, blocks: blocks, into: destination)
        case .q2_K: Q2KCodec.encode(source, blocks: blocks, into: destination)
        case .q3_K: Q3KCodec.encode(source, blocks: blocks, into: destination)
        case .q4_K: Q4KCodec.encode(source, blocks: blocks, into: destination)
        case .q5_K: Q5KCodec.encode(source, blocks: blocks, into: destination)
        case .q6_K: Q6KCodec.encode(source, blocks: blocks, into: destination)
        case .iq4_nl: IQ4NLCodec.encode(source, blocks: blocks, into: destination)
        case .iq4_xs: IQ4XSCodec.encode(source, blocks: blocks, into: destination)
        default: preconditionFailure("unreachable")
        }
    }

    /// ggml's `nearest_int`: round to nearest, ties to even, via the 1.5·2²³ trick (valid for |x| ≤ 4194303).
    ///
    /// Outside that range it returns what ggml's bit trick returns, without trapping.
    @inline(__always)
    public static func nearestInt(_ x: Float) -> Int32 {
        let v = x + 12_582_912
        return Int32(bitPattern: v.bitPattern & 0x007f_ffff) - 0x0040_0000
    }
}

// MARK: - Shared helpers

/// Reads a little-endian fp16 field at a possibly unaligned offset.
@inline(__always)
func loadHalf(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
    Half.toFloat(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
}

/// Writes a Float as a little-endian fp16 field (round to nearest even) and returns the stored value as Float.
@inline(__always)
@discardableResult
func storeHalf(_ value: Float, _ p: UnsafeMutableRawPointer, _ offset: Int) -> Float {
    let bits = Half.fromFloat(value)
    p.storeBytes(of: bits.littleEndian, toByteOffset: offset, as: UInt16.self)
    return Half.toFloat(bits)
}

/// C's `(int)f` conversion as x86 performs it (truncation; out of range or NaN gives Int32.min), without trapping.
@inline(__always)
func truncatingInt32(_ f: Float) -> Int32 {
    (f > -2_147_483_904 && f < 2_147_483_648) ? Int32(f) : Int32.min
}

/// ggml's `nearest_int` as a Float: the same integer, for |x| ≤ 4194303.
@inline(__always)
func nearestIntF(_ x: Float) -> Float {
    (x + 12_582_912) - 12_582_912
}
