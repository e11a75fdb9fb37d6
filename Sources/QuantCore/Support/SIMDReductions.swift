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

/// Lane-wise maximum and minimum of four-lane float vectors, written so that each is one `maxps`/`minps` with
/// `a` as its destination (the standard library's `pointwiseMax/Min` are calls on the default x86-64 target).
/// Where b[i] is NaN the result is a[i].
enum QuadLanes {
    @_transparent
    static func max(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> {
        var r = a
        for i in 0..<4 { r[i] = b[i] > a[i] ? b[i] : a[i] }
        return r
    }

    @_transparent
    static func min(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> {
        var r = a
        for i in 0..<4 { r[i] = b[i] < a[i] ? b[i] : a[i] }
        return r
    }
}

/// Transposed reductions: eight vectors to one, lane j summarising vector j (one vector of partial maxima or minima
/// per group or block in, the groups' parameters in lanes out).
enum TransposedReduction {
    /// Lane j is the largest lane of `v[j]`. Not inlined, for callers inside large kernels; one call per eight
    /// groups costs nothing.
    @inline(never)
    static func maxima(_ v: UnsafePointer<SIMD8<Float>>) -> SIMD8<Float> { inlinedMaxima(v) }

    /// Lane j is the smallest lane of `v[j]`.
    @inline(never)
    static func minima(_ v: UnsafePointer<SIMD8<Float>>) -> SIMD8<Float> { inlinedMinima(v) }

    /// `maxima` inlined, for small callers of their own.
    @_transparent
    static func inlinedMaxima(_ v: UnsafePointer<SIMD8<Float>>) -> SIMD8<Float> { inlined(v, minimum: false) }

    /// `minima` inlined.
    @_transparent
    static func inlinedMinima(_ v: UnsafePointer<SIMD8<Float>>) -> SIMD8<Float> { inlined(v, minimum: true) }

    /// The halves of each vector are read from memory as four-lane vectors, and every shuffle is a lane permutation
    /// that SSE has as one instruction (`unpcklps`, `movlhps`…): about 100 instructions for the eight vectors.
    @_transparent
    static func inlined(_ v: UnsafePointer<SIMD8<Float>>, minimum: Bool) -> SIMD8<Float> {
        let p = UnsafeRawPointer(v)
        @_transparent func group(_ g: Int) -> SIMD4<Float> {
            let low = p.load(fromByteOffset: g &* 32, as: SIMD4<Float>.self), high = p.load(fromByteOffset: g &* 32 &+ 16, as: SIMD4<Float>.self)
            return minimum ? QuadLanes.min(low, high) : QuadLanes.max(low, high)
        }
        let a = transposed(group(0), group(1), group(2), group(3), minimum: minimum)
        let b = transposed(group(4), group(5), group(6), group(7), minimum: minimum)
        return SIMD8(a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3])
    }

    /// Lane j: the largest (or, with `minimum`, the smallest) of the four lanes of `a[j]`, `b[j]`, `c[j]` or `d[j]`.
    /// A flag rather than a function argument: a function passed from another type stayed a call per use.
    @_transparent
    static func transposed(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>, minimum: Bool) -> SIMD4<Float> {
        @_transparent func op(_ x: SIMD4<Float>, _ y: SIMD4<Float>) -> SIMD4<Float> { minimum ? QuadLanes.min(x, y) : QuadLanes.max(x, y) }
        let ab = op(SIMD4(a[0], b[0], a[1], b[1]), SIMD4(a[2], b[2], a[3], b[3]))
        let cd = op(SIMD4(c[0], d[0], c[1], d[1]), SIMD4(c[2], d[2], c[3], d[3]))
        return op(SIMD4(ab[0], ab[1], cd[0], cd[1]), SIMD4(ab[2], ab[3], cd[2], cd[3]))
    }
}
