/// The min-max quantisation parameters of eight units (groups or channels), one unit per lane.
///
/// Computing eight units together turns their divisions and fp16 roundings into vector operations,
/// which matters for small groups: a 32-weight group otherwise spends as long on its scale as on its weights.
/// Every lane equals what `IntegerQuantizer.scaleAndZero` and `IntegerKernel.UnitParameters` give for that
/// unit alone, bit for bit.
struct IntegerUnitLanes {
    typealias Lanes = SIMD8<Float>

    var scale: Lanes
    /// `1/scale`, or 0 where the scale is 0.
    var inverse: Lanes
    /// The code range shifted by the zero-point: `qmin − z` and `qmax − z`.
    var lowest: Lanes
    var highest: Lanes
    /// 1 where every code of the unit provably lands inside [lowest, highest] without clamping, else 0.
    var clampFree: Lanes

    /// Symmetric ranges from each unit's largest |w|.
    @_transparent
    init(absMax m: Lanes, qmax: Float, f16Scale: Bool) {
        var s = m / Lanes(repeating: qmax)
        if f16Scale { s = Half.round(s) }
        s = Self.positiveFinite(s)
        scale = s
        inverse = Self.reciprocal(s)
        lowest = Lanes(repeating: -qmax)
        highest = Lanes(repeating: qmax)
        // |w| ≤ m and rounding is monotonic and symmetric, so the largest code is round(m/s) in magnitude.
        let top = Self.roundedEven(m * inverse)
        clampFree = Lanes(repeating: 0).replacing(with: 1, where: top .<= highest)
    }

    /// Asymmetric ranges from each unit's smallest and largest weight; the range is widened to include 0.
    @_transparent
    init(min mn: Lanes, max mx: Lanes, qmax: Float, f16Scale: Bool) {
        let zeroLanes = Lanes(repeating: 0)
        let lo = mn.replacing(with: zeroLanes, where: mn .> zeroLanes)
        let hi = mx.replacing(with: zeroLanes, where: mx .< zeroLanes)
        var s = (hi - lo) / Lanes(repeating: qmax)
        if f16Scale { s = Half.round(s) }
        s = Self.positiveFinite(s)
        scale = s
        let r = Self.reciprocal(s)
        inverse = r
        // z = clamp(round(−lo/s), 0, qmax); 0 where the scale is 0 (then r is 0 too).
        var z = Self.roundedEven(-lo * r)
        z = z.replacing(with: zeroLanes, where: z .< zeroLanes)
        z = z.replacing(with: Lanes(repeating: qmax), where: z .> Lanes(repeating: qmax))
        lowest = zeroLanes - z
        highest = Lanes(repeating: qmax) - z
        let bottom = Self.roundedEven(mn * r), top = Self.roundedEven(mx * r)
        clampFree = zeroLanes.replacing(with: 1, where: bottom .>= lowest).replacing(with: 0, where: top .> highest)
    }

    // Every select below tests one comparison: masks combined with `.|` or `.&` go through their integer storage on
    // this target and come out as long sequences of packs and shifts.

    /// `s` where it is positive and finite, else 0 (NaN included).
    @_transparent
    static func positiveFinite(_ s: Lanes) -> Lanes {
        Lanes(repeating: 0).replacing(with: s, where: s .> 0).replacing(with: 0, where: s .== .infinity)
    }

    /// `1/s`, 0 where `s` is 0.
    @_transparent
    static func reciprocal(_ s: Lanes) -> Lanes {
        (Lanes(repeating: 1) / s).replacing(with: 0, where: s .== 0)
    }

    /// Round to nearest, ties to even, for |x| < 2²² (the 1.5·2²³ add-subtract; larger values stay large).
    @_transparent
    static func roundedEven(_ x: Lanes) -> Lanes {
        let magic = Lanes(repeating: IntegerKernel.roundingMagic)
        return (x + magic) - magic
    }
}
