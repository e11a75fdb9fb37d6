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
