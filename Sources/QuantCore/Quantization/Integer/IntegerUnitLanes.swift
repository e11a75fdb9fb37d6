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
        s = s.replacing(with: 0, where: .!(s .> 0) .| (s .== .infinity))
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
        s = s.replacing(with: 0, where: .!(s .> 0) .| (s .== .infinity))
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
        clampFree = zeroLanes.replacing(with: 1, where: (bottom .>= lowest) .& (top .<= highest))
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

    /// Eight per-unit vectors of partial maxima reduced to one vector: lane j is the largest lane of `v[j]`.
    /// Not inlined: inside a large kernel the standard library's half-vector accessors stay calls, here they
    /// become shuffles, and one call per eight units costs nothing.
    @inline(never)
    static func transposedMax(_ v: UnsafePointer<Lanes>) -> Lanes {
        Lanes(lowHalf: maxOfFour(v, negated: false), highHalf: maxOfFour(v + 4, negated: false))
    }

    /// Lane j is the smallest lane of `v[j]` (the largest of the negated lanes, negated back).
    @inline(never)
    static func transposedMin(_ v: UnsafePointer<Lanes>) -> Lanes {
        -Lanes(lowHalf: maxOfFour(v, negated: true), highHalf: maxOfFour(v + 4, negated: true))
    }

    /// Lane j of the result is the largest lane of `v[j]`, for j < 4.
    @_transparent
    static func maxOfFour(_ v: UnsafePointer<Lanes>, negated: Bool) -> SIMD4<Float> {
        // Negating first makes the same reduction give the minimum (negated).
        let sign = negated ? Lanes(repeating: -1) : Lanes(repeating: 1)
        let v0 = v[0] * sign, v1 = v[1] * sign, v2 = v[2] * sign, v3 = v[3] * sign
        let b0 = v0.lowHalf.replacing(with: v0.highHalf, where: v0.highHalf .> v0.lowHalf)
        let b1 = v1.lowHalf.replacing(with: v1.highHalf, where: v1.highHalf .> v1.lowHalf)
        let b2 = v2.lowHalf.replacing(with: v2.highHalf, where: v2.highHalf .> v2.lowHalf)
        let b3 = v3.lowHalf.replacing(with: v3.highHalf, where: v3.highHalf .> v3.lowHalf)
        let t = SIMD8(lowHalf: b0, highHalf: b1), u = SIMD8(lowHalf: b2, highHalf: b3)
        let c01 = t.evenHalf.replacing(with: t.oddHalf, where: t.oddHalf .> t.evenHalf)
        let c23 = u.evenHalf.replacing(with: u.oddHalf, where: u.oddHalf .> u.evenHalf)
        let d = SIMD8(lowHalf: c01, highHalf: c23)
        return d.evenHalf.replacing(with: d.oddHalf, where: d.oddHalf .> d.evenHalf)
    }
}
