/// Horizontal reductions of float vectors by halving. The standard library's `min()`/`max()` on
/// `SIMD8<Float>` and `SIMD16<Float>` are generic calls on the default x86-64 target, slow enough to
/// dominate a loop that reduces once per 32-weight group.
extension SIMD8 where Scalar == Float {
    @inline(__always) var horizontalMax: Float {
        let a = lowHalf, b = highHalf
        let c = a.replacing(with: b, where: b .> a)
        return Swift.max(Swift.max(c[0], c[1]), Swift.max(c[2], c[3]))
    }

    @inline(__always) var horizontalMin: Float {
        let a = lowHalf, b = highHalf
        let c = a.replacing(with: b, where: b .< a)
        return Swift.min(Swift.min(c[0], c[1]), Swift.min(c[2], c[3]))
    }

    @inline(__always) var horizontalSum: Float {
        let c = lowHalf + highHalf
        return (c[0] + c[1]) + (c[2] + c[3])
    }
}

extension SIMD16 where Scalar == Float {
    @inline(__always) var horizontalMax: Float {
        let a = lowHalf, b = highHalf
        return a.replacing(with: b, where: b .> a).horizontalMax
    }

    @inline(__always) var horizontalMin: Float {
        let a = lowHalf, b = highHalf
        return a.replacing(with: b, where: b .< a).horizontalMin
    }
}

/// Transposed reductions: eight vectors to one, lane j summarising vector j.
enum TransposedReduction {
    /// Eight vectors of partial maxima (one per group or block) reduced to one vector: lane j is the largest lane
    /// of `v[j]`. Not inlined: inside a large kernel the standard library's half-vector accessors stay calls, here
    /// they become shuffles, and one call per eight groups costs nothing.
    @inline(never)
    static func maxima(_ v: UnsafePointer<SIMD8<Float>>) -> SIMD8<Float> {
        SIMD8<Float>(lowHalf: maxOfFour(v, negated: false), highHalf: maxOfFour(v + 4, negated: false))
    }

    /// Lane j is the smallest lane of `v[j]` (the largest of the negated lanes, negated back).
    @inline(never)
    static func minima(_ v: UnsafePointer<SIMD8<Float>>) -> SIMD8<Float> {
        -SIMD8<Float>(lowHalf: maxOfFour(v, negated: true), highHalf: maxOfFour(v + 4, negated: true))
    }

    /// Lane j of the result is the largest lane of `v[j]`, for j < 4.
    @_transparent
    static func maxOfFour(_ v: UnsafePointer<SIMD8<Float>>, negated: Bool) -> SIMD4<Float> {
        // Negating first makes the same reduction give the minimum (negated).
        let sign = negated ? SIMD8<Float>(repeating: -1) : SIMD8<Float>(repeating: 1)
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
