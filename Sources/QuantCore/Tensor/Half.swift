/// IEEE binary16 conversions with round-to-nearest-even, including subnormals, written with integer
/// operations so they inline (on the default x86-64 target `Float16` conversions are library calls,
/// which dominated the GGUF block quantisers).
///
/// GGUF block formats store their scales as fp16; bit-exact codecs need exactly this rounding.
public enum Half {
    /// Converts fp16 bits to Float (exact).
    @inline(__always)
    public static func toFloat(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let magnitude = UInt32(bits & 0x7FFF)
        if magnitude >= 0x7C00 { return Float(bitPattern: sign | 0x7F80_0000 | (magnitude & 0x3FF) << 13) }
        // Exponent and mantissa moved into place, then rescaled by 2^112 (exact, subnormals included).
        return Float(bitPattern: sign | magnitude << 13) * Float(bitPattern: 0x7780_0000)
    }

    /// Converts a Float to fp16 bits, rounding to nearest even (overflow gives ±inf, NaN stays NaN).
    @inline(__always)
    public static func fromFloat(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude > 0x7F80_0000 { return sign | 0x7E00 | UInt16(truncatingIfNeeded: (magnitude >> 13) & 0x3FF) }
        if magnitude >= 0x477F_F000 { return sign | 0x7C00 } // 65520 and above round to infinity
        if magnitude >= 0x3880_0000 {
            // Normal half: round the 13 dropped mantissa bits to nearest even, then rebias the exponent by 112.
            let rounded = magnitude &+ 0x0FFF &+ ((magnitude >> 13) & 1)
            return sign | UInt16(truncatingIfNeeded: (rounded &- 0x3800_0000) >> 13)
        }
        // Subnormal half: adding 0.5 rounds to a multiple of 2^-24 (ties to even); the mantissa is the count.
        let shifted = (Float(bitPattern: magnitude) + 0.5).bitPattern &- 0x3F00_0000
        return sign | UInt16(truncatingIfNeeded: shifted)
    }

    /// `round` of eight finite lanes at once, with integer adds and shifts and float compares only (all vector
    /// instructions on SSE2): normal halves keep 10 of the 23 mantissa bits, rounded to nearest even; subnormal
    /// halves are multiples of 2⁻²⁴ (adding and subtracting 0.5 rounds to one, ties to even); 65520 and above
    /// become infinity. The sign is kept.
    @inline(__always)
    public static func round(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        let magnitude = bits & 0x7FFF_FFFF
        let a = unsafeBitCast(magnitude, to: SIMD8<Float>.self)
        let normal = unsafeBitCast((magnitude &+ 0x0FFF &+ ((magnitude &>> 13) & 1)) & 0xFFFF_E000, to: SIMD8<Float>.self)
        let rounded = normal.replacing(with: (a + 0.5) - 0.5, where: a .< 0x1p-14).replacing(with: .infinity, where: a .>= 65520)
        return unsafeBitCast(unsafeBitCast(rounded, to: SIMD8<UInt32>.self) | (bits & 0x8000_0000), to: SIMD8<Float>.self)
    }

    /// `fromFloat` of eight magnitudes given as bit patterns `m` with 0 ≤ m < 0x477F_F000 (below 65520, so no
    /// infinity or NaN comes out): the normal and the subnormal rounding, chosen with one compare; no sign.
    @_transparent
    static func fromMagnitude(_ m: SIMD8<Int32>) -> SIMD8<Int32> {
        let normal = (m &+ (0x0FFF &- 0x3800_0000) &+ ((m &>> 13) & 1)) &>> 13
        let subnormal = unsafeBitCast(unsafeBitCast(m, to: SIMD8<Float>.self) + 0.5, to: SIMD8<Int32>.self) &- 0x3F00_0000
        var isSubnormal = SIMD8<Int32>()
        for i in 0..<8 { isSubnormal[i] = m[i] < 0x3880_0000 ? -1 : 0 } // `pcmpgtd`
        return (subnormal & isSubnormal) | (normal & ~isSubnormal)
    }

    /// All ones in the lanes where `a < c`, else 0 (`a − c` must not overflow: here 0 ≤ a, c ≤ 2³¹ − 1).
    @_transparent
    static func below(_ a: SIMD8<Int32>, _ c: Int32) -> SIMD8<Int32> { (a &- c) &>> 31 }

    /// Rounds a Float through fp16 and back, as ggml does with `GGML_FP32_TO_FP16` then `GGML_FP16_TO_FP32`.
    @inline(__always)
    public static func round(_ value: Float) -> Float { toFloat(fromFloat(value)) }
}
