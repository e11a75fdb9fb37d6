/// IEEE binary16 conversions with round-to-nearest-even, including subnormals.
///
/// GGUF block formats store their scales as fp16; bit-exact codecs need exactly this rounding.
public enum Half {
    /// Converts fp16 bits to Float (exact).
    @inline(__always)
    public static func toFloat(_ bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }

    /// Converts a Float to fp16 bits, rounding to nearest even (overflow gives ±inf).
    @inline(__always)
    public static func fromFloat(_ value: Float) -> UInt16 { Float16(value).bitPattern }

    /// Rounds a Float through fp16 and back, as ggml does with `GGML_FP32_TO_FP16` then `GGML_FP16_TO_FP32`.
    @inline(__always)
    public static func round(_ value: Float) -> Float { Float(Float16(value)) }
}
