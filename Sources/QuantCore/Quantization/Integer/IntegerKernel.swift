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

    /// Σ(y − x)² in Float, for comparing candidate clips.
    static func squaredError(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        let a = UnsafeRawPointer(x), b = UnsafeRawPointer(y)
        var acc = SIMD16<Float>(repeating: 0)
        var i = 0
        while i + 16 <= n {
            let e = b.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) - a.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            acc += e * e
            i += 16
        }
        var total = acc.sum()
        while i < n { let e = y[i] - x[i]; total += e * e; i += 1 }
        return total
    }
}

extension IntegerKernel {
    /// One unit's quantisation parameters as the fused kernel reads them: the scale, its reciprocal and the
    /// code range shifted by the zero-point (`qmin − z`, `qmax − z`).
    struct UnitParameters {
        var scale: Float
        var inverse: Float
        var lowest: Float
        var highest: Float

        init(scale: Float, zero: Float, qmin: Float, qmax: Float) {
            self.scale = scale
            inverse = scale > 0 ? 1 / scale : 0
            lowest = qmin - zero
            highest = qmax - zero
        }
    }

    /// The fused form of `roundTrip` for measuring: the same dequantised values, added straight into `sums`
    /// instead of being stored, for `units` consecutive units of `unitLength` weights.
    ///
    /// Rounding first and adding the zero-point after is exact for codes below 2²², so
    /// `clamp(round(x/s), qmin − z, qmax − z)·s` equals `(clamp(round(x/s) + z, qmin, qmax) − z)·s` bit for bit.
    /// `clamps: false` skips the clamp where the range guarantees it cannot act (symmetric min-max, f32 scale).
    static func measure(_ x: UnsafePointer<Float>, unitLength: Int, units: Int, parameters: UnsafePointer<UnitParameters>,
                        clamps: Bool, into sums: inout ErrorSums) {
        typealias V = ErrorSums.Lanes
        var acc = sums
        let raw = UnsafeRawPointer(x)
        let magic = V(repeating: roundingMagic)
        let vectorLength = unitLength & ~7
        for u in 0..<units {
            let p = parameters[u]
            let vInverse = V(repeating: p.inverse), vScale = V(repeating: p.scale)
            let vMin = V(repeating: p.lowest), vMax = V(repeating: p.highest)
            let base = u &* unitLength
            var i = 0
            if clamps || !p.inverse.isFinite {
                while i < vectorLength {
                    let v = raw.loadUnaligned(fromByteOffset: (base &+ i) &* 4, as: V.self)
                    var q = (v * vInverse + magic) - magic
                    q = q.replacing(with: vMin, where: q .< vMin)
                    q = q.replacing(with: vMax, where: q .> vMax)
                    acc.add(v, q * vScale)
                    i &+= 8
                }
            } else {
                while i < vectorLength {
                    let v = raw.loadUnaligned(fromByteOffset: (base &+ i) &* 4, as: V.self)
                    acc.add(v, ((v * vInverse + magic) - magic) * vScale)
                    i &+= 8
                }
            }
            acc.pending &+= vectorLength
            if vectorLength < unitLength {
                measureTail(x + base + vectorLength, unitLength - vectorLength, scale: p.scale, lowest: p.lowest, highest: p.highest, into: &acc)
            }
            acc.flushIfFull()
        }
        sums = acc
    }

    /// The last `n` < 8 weights of a unit whose length is not a multiple of 8, one at a time as `roundTrip` does them.
    @inline(never)
    static func measureTail(_ x: UnsafePointer<Float>, _ n: Int, scale: Float, lowest: Float, highest: Float, into sums: inout ErrorSums) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { tail in
            roundTrip(x, n, scale: scale, zero: 0, qmin: lowest, qmax: highest, into: tail.baseAddress!)
            sums.add(x, tail.baseAddress!, count: n)
        }
    }

    /// The largest |x| of `n` values (n ≥ 1), in eight lanes reduced once.
    @inline(__always)
    static func absMax(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        typealias V = ErrorSums.Lanes
        let raw = UnsafeRawPointer(x)
        var m = V(repeating: 0)
        var i = 0
        while i + 8 <= n {
            let a = unsafeBitCast(unsafeBitCast(raw.loadUnaligned(fromByteOffset: i &* 4, as: V.self), to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: V.self)
            m = m.replacing(with: a, where: a .> m)
            i &+= 8
        }
        var result = m.horizontalMax
        while i < n { result = Swift.max(result, abs(x[i])); i += 1 }
        return result
    }
}
