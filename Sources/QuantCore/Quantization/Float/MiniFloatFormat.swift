/// A small sign-exponent-mantissa float format (E4M3, E5M2, E2M1) and round-to-nearest-even onto its grid.
///
/// Rounding saturates: every finite input above the largest finite value becomes ±max (so FP8 E4M3 never
/// produces its NaN code and E5M2 never produces infinity). Subnormals of the small format are kept.
/// `round` is the scalar reference; `roundVector` is the fast path, built from the add-and-subtract
/// trick with a per-lane magic constant; both give the same value for every finite input.
struct MiniFloatFormat: Sendable {
    let exponentBits: Int
    let mantissaBits: Int
    let bias: Int
    /// Largest finite value.
    let maxFinite: Float

    /// OCP OFP8 E4M3 ("fn"): bias 7, no infinities, S.1111.111 is NaN, max 448.
    static let e4m3 = MiniFloatFormat(exponentBits: 4, mantissaBits: 3, bias: 7, maxFinite: 448)
    /// OCP OFP8 E5M2: bias 15, IEEE-like, max finite 57344.
    static let e5m2 = MiniFloatFormat(exponentBits: 5, mantissaBits: 2, bias: 15, maxFinite: 57344)
    /// OCP MX FP4 E2M1: bias 1, no infinities or NaN, values ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}.
    static let e2m1 = MiniFloatFormat(exponentBits: 2, mantissaBits: 1, bias: 1, maxFinite: 6)

    /// Exponent of the smallest normal value (1 − bias).
    var minNormalExponent: Int { 1 - bias }
    var signBit: UInt8 { UInt8(1) << UInt8(exponentBits + mantissaBits) }

    // MARK: - Reference (scalar)

    /// The magnitude |x| rounded to nearest even on the grid, saturating at `maxFinite`.
    func roundMagnitude(_ x: Float) -> Float {
        let a = abs(x)
        if a >= maxFinite { return maxFinite }
        if a == 0 { return 0 }
        let exponent = Swift.max(Int(a.exponent), minNormalExponent)
        let step = Float(sign: .plus, exponent: exponent - mantissaBits, significand: 1)
        return Swift.min((a / step).rounded(.toNearestOrEven) * step, maxFinite)
    }

    /// The code of x rounded to nearest even (the sign of x, including −0, is kept).
    func encode(_ x: Float) -> UInt8 {
        let sign: UInt8 = x.sign == .minus ? signBit : 0
        let q = roundMagnitude(x)
        if q == 0 { return sign }
        let minNormal = Float(sign: .plus, exponent: minNormalExponent, significand: 1)
        if q < minNormal {
            let subnormalStep = Float(sign: .plus, exponent: minNormalExponent - mantissaBits, significand: 1)
            return sign | UInt8(q / subnormalStep)
        }
        let exponent = Int(q.exponent)
        let fraction = q / Float(sign: .plus, exponent: exponent, significand: 1) - 1
        let mantissa = UInt8(fraction * Float(1 << mantissaBits))
        return sign | UInt8(exponent + bias) << UInt8(mantissaBits) | mantissa
    }

    /// The value of a code, from the format's fields (E4M3's S.1111.111 and E5M2's top exponent are not
    /// produced by `encode`; use `FP8`'s tables to decode stored FP8 bytes).
    func value(_ code: UInt8) -> Float {
        let field = Int(code >> UInt8(mantissaBits)) & ((1 << exponentBits) - 1)
        let mantissa = Float(Int(code) & ((1 << mantissaBits) - 1))
        let magnitude = field == 0
            ? mantissa * Float(sign: .plus, exponent: minNormalExponent - mantissaBits, significand: 1)
            : (1 + mantissa / Float(1 << mantissaBits)) * Float(sign: .plus, exponent: field - bias, significand: 1)
        return code & signBit != 0 ? -magnitude : magnitude
    }

    // MARK: - Fast path (SIMD)

    /// Constants of `roundVector` for this format.
    struct VectorConstants {
        let maxFinite: SIMD8<Float>
        /// 2^(smallest normal exponent), whose bits are only an exponent field: below it the grid step stays that
        /// of the subnormals. Compared as a float (integer vector compares are slow on the default x86-64 target).
        let minExponent: SIMD8<Float>
        /// Adds 23 − mantissaBits to an exponent field.
        let magicOffset: SIMD8<UInt32>
    }

    var vectorConstants: VectorConstants {
        VectorConstants(maxFinite: SIMD8(repeating: maxFinite),
                        minExponent: SIMD8(repeating: Float(bitPattern: UInt32(minNormalExponent + 127) << 23)),
                        magicOffset: SIMD8(repeating: UInt32(23 - mantissaBits) << 23))
    }

    /// Rounds 16 finite values (or ±inf) to nearest even on the grid, saturating, keeping each sign.
    @inline(__always)
    static func roundVector(_ v: SIMD16<Float>, _ k: VectorConstants) -> SIMD16<Float> {
        SIMD16(lowHalf: roundVector(v.lowHalf, k), highHalf: roundVector(v.highHalf, k))
    }

    /// Rounds 8 finite values (or ±inf) to nearest even on the grid, saturating, keeping each sign.
    ///
    /// For |x| in binade [2^e, 2^(e+1)) the grid step is 2^(e−m) (e clamped below at the smallest normal
    /// exponent, which gives the subnormal step); adding and subtracting c = 2^(e−m+23) rounds to a multiple
    /// of that step, ties to even, because c's ulp is exactly the step. A carry into the next binade lands
    /// on 2^(e+1), which is on the grid. Clamping to `maxFinite` first gives saturation. The exponent floor is
    /// taken on the magnitude itself (max(|x|, 2^emin) has the exponent field max(e, emin), as 2^emin is only
    /// an exponent field), so both clamps are float `minps`/`maxps`; no integer compares.
    @_transparent
    static func roundVector(_ v: SIMD8<Float>, _ k: VectorConstants) -> SIMD8<Float> {
        typealias Bits = SIMD8<UInt32>
        let bits = unsafeBitCast(v, to: Bits.self)
        let r = roundMagnitudeVector(unsafeBitCast(bits & 0x7FFF_FFFF, to: SIMD8<Float>.self), k)
        return unsafeBitCast(unsafeBitCast(r, to: Bits.self) | (bits & 0x8000_0000), to: SIMD8<Float>.self)
    }

    /// `roundVector` of 8 magnitudes (+0 or positive, finite or +inf; not NaN): the same value without the sign's two
    /// operations, for kernels that only need |ŵ| (the error of a weight does not depend on its sign).
    /// With `saturating` false the cap at `maxFinite` is left out, which gives the same value for every magnitude
    /// where `saturationCanAct(upTo:)` is false.
    @_transparent
    static func roundMagnitudeVector(_ magnitude: SIMD8<Float>, _ k: VectorConstants, saturating: Bool = true) -> SIMD8<Float> {
        typealias Bits = SIMD8<UInt32>
        let a = saturating ? FloatFormatKernel.capped(magnitude, at: k.maxFinite) : magnitude
        let floor = FloatFormatKernel.maximum(a, k.minExponent)
        let magic = unsafeBitCast((unsafeBitCast(floor, to: Bits.self) & 0x7F80_0000) &+ k.magicOffset, to: SIMD8<Float>.self)
        return (a + magic) - magic
    }

    /// Whether the cap at `maxFinite` can change the rounding of some magnitude in [0, q]. The rounding without the
    /// cap is monotonic and equals the capped one up to `maxFinite`, so the cap cannot act when the uncapped rounding
    /// of q itself stays at or below `maxFinite` (q may exceed `maxFinite` by less than half a step).
    func saturationCanAct(upTo q: Float) -> Bool {
        guard q.isFinite else { return true }
        let exponent = Swift.max(q.bitPattern & 0x7F80_0000, UInt32(minNormalExponent + 127) << 23)
        let magic = Float(bitPattern: exponent + UInt32(23 - mantissaBits) << 23)
        return (q + magic) - magic > maxFinite
    }

    /// The scalar form of `roundVector` (same operations), for loop tails.
    @inline(__always)
    func roundFast(_ x: Float) -> Float {
        var a = abs(x)
        if a > maxFinite { a = maxFinite }
        var exponent = a.bitPattern & 0x7F80_0000
        let minBits = UInt32(minNormalExponent + 127) << 23
        if exponent < minBits { exponent = minBits }
        let magic = Float(bitPattern: exponent + UInt32(23 - mantissaBits) << 23)
        let r = (a + magic) - magic
        return Float(bitPattern: r.bitPattern | (x.bitPattern & 0x8000_0000))
    }
}
