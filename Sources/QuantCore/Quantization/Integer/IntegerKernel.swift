/// Vectorised inner loops of integer quantisation. Written with the SIMD idioms that stay fast on the
/// default x86-64 target: `replacing(with:where:)` for min/max/clamp and the 1.5·2²³ add-subtract for
/// round-to-nearest-even (no float-to-int conversions, no `rounded`, no `clamped`).
enum IntegerKernel {
    /// 1.5·2²³: adding and subtracting it rounds a float of magnitude below 2²² to the nearest integer, ties to even.
    static let roundingMagic: Float = 12_582_912

    /// The finite minimum and maximum of `n` values.
    @inline(__always)
    static func minMax(_ x: UnsafePointer<Float>, _ n: Int) -> (Float, Float) {
        let raw = UnsafeRawPointer(x)
        var lo = SIMD16<Float>(repeating: .infinity), hi = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            lo = lo.replacing(with: v, where: v .< lo)
            hi = hi.replacing(with: v, where: v .> hi)
            i += 16
        }
        var mn = lo.horizontalMin, mx = hi.horizontalMax
        while i < n { mn = Swift.min(mn, x[i]); mx = Swift.max(mx, x[i]); i += 1 }
        if mn > mx { return (0, 0) }
        return (mn, mx)
    }

    /// `y = (clamp(round_even(x · (1/scale)) + zero, qmin, qmax) − zero) · scale`; all zeros when `scale` is 0.
    static func roundTrip(_ x: UnsafePointer<Float>, _ n: Int, scale: Float, zero: Float, qmin: Float, qmax: Float, into y: UnsafeMutablePointer<Float>) {
        let inverse: Float = scale > 0 ? 1 / scale : 0
        let raw = UnsafeRawPointer(x), out = UnsafeMutableRawPointer(y)
        let vInverse = SIMD16<Float>(repeating: inverse), vScale = SIMD16<Float>(repeating: scale)
        let vZero = SIMD16<Float>(repeating: zero), vMin = SIMD16<Float>(repeating: qmin), vMax = SIMD16<Float>(repeating: qmax)
        let magic = SIMD16<Float>(repeating: roundingMagic)
        var i = 0
        while i + 16 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            var q = ((v * vInverse + magic) - magic) + vZero
            q = q.replacing(with: vMin, where: q .< vMin)
            q = q.replacing(with: vMax, where: q .> vMax)
            out.storeBytes(of: (q - vZero) * vScale, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n {
            let q = Swift.min(Swift.max((x[i] * inverse).rounded(.toNearestOrEven) + zero, qmin), qmax)
            y[i] = (q - zero) * scale
            i += 1
        }
    }

    /// Σ(roundTrip(x) − x)² in Float, for comparing candidate clips: the same values as quantising into a
    /// buffer and summing, without the buffer.
    static func squaredError(_ x: UnsafePointer<Float>, _ n: Int, scale: Float, zero: Float, qmin: Float, qmax: Float) -> Float {
        let inverse: Float = scale > 0 ? 1 / scale : 0
        let raw = UnsafeRawPointer(x)
        let vInverse = SIMD16<Float>(repeating: inverse), vScale = SIMD16<Float>(repeating: scale)
        let vZero = SIMD16<Float>(repeating: zero), vMin = SIMD16<Float>(repeating: qmin), vMax = SIMD16<Float>(repeating: qmax)
        let magic = SIMD16<Float>(repeating: roundingMagic)
        var acc = SIMD16<Float>(repeating: 0)
        var i = 0
        while i + 16 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            var q = ((v * vInverse + magic) - magic) + vZero
            q = q.replacing(with: vMin, where: q .< vMin)
            q = q.replacing(with: vMax, where: q .> vMax)
            let e = (q - vZero) * vScale - v
            acc += e * e
            i += 16
        }
        // A tree of adds (the standard library's `sum()` is a chain of sixteen, longer than a group's loop).
        var total = (acc.lowHalf + acc.highHalf).horizontalSum
        while i < n {
            let q = Swift.min(Swift.max((x[i] * inverse).rounded(.toNearestOrEven) + zero, qmin), qmax)
            let e = (q - zero) * scale - x[i]
            total += e * e
            i += 1
        }
        return total
    }
}
