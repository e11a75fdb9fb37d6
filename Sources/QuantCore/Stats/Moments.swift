/// Count, mean and the sums of the 2nd–4th powers of deviations from the mean, for a set of values.
///
/// Each chunk's sums are taken around the chunk's own mean (accurate where raw power sums would cancel), and chunks
/// are combined with the pairwise update formulas of Chan et al. and Pébay (2008), which stay accurate however far
/// apart the chunk means are.
struct Moments {
    var count = 0.0
    var mean = 0.0
    /// Σ(x − mean)², Σ(x − mean)³, Σ(x − mean)⁴.
    var m2 = 0.0, m3 = 0.0, m4 = 0.0

    /// Float partial sums are flushed to Double every this many values, bounding rounding error.
    static let flushInterval = 512

    var variance: Double { count > 0 ? Swift.max(0, m2 / count) : .nan }
    /// Excess kurtosis; 0 when all values are equal.
    var kurtosis: Double {
        let v = variance
        return v > 0 ? (m4 / count) / (v * v) - 3 : 0
    }

    /// Adds `other`'s values to these.
    mutating func merge(_ other: Moments) {
        guard other.count > 0 else { return }
        guard count > 0 else { self = other; return }
        let na = count, nb = other.count, n = na + nb
        let delta = other.mean - mean, dn = delta / n
        let cross = delta * dn * na * nb
        m4 += other.m4 + cross * dn * dn * (na * na - na * nb + nb * nb) + 6 * dn * dn * (na * na * other.m2 + nb * nb * m2)
            + 4 * dn * (na * other.m3 - nb * m3)
        m3 += other.m3 + cross * dn * (na - nb) + 3 * dn * (na * other.m2 - nb * m2)
        m2 += other.m2 + cross
        mean += nb * dn
        count = n
    }

    /// The moments of `x` (finite values), from power sums of d = x − `center` shifted to the exact mean. `center`
    /// should be near the mean (within a few standard deviations) so that float sums of d⁴ lose nothing.
    static func of(_ x: UnsafeBufferPointer<Float>, around center: Float) -> Moments {
        let n = x.count
        guard n > 0, let base = x.baseAddress else { return Moments() }
        let raw = UnsafeRawPointer(base)
        let c = SIMD8<Float>(repeating: center)
        var s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0
        var i = 0
        while i + 8 <= n {
            let blockEnd = Swift.min(n, i + flushInterval) & ~7
            var a1 = SIMD8<Float>(repeating: 0), a2 = a1, a3 = a1, a4 = a1
            while i < blockEnd {
                let d = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - c
                let d2 = d * d
                a1 += d; a2 += d2; a3 += d2 * d; a4 += d2 * d2
                i += 8
            }
            s1 += wide(a1); s2 += wide(a2); s3 += wide(a3); s4 += wide(a4)
        }
        guard s4.isFinite else { return exactly(x) } // |d| beyond about 4e9 overflows d⁴ in Float
        while i < n {
            let d = Double(x[i] - center)
            s1 += d; s2 += d * d; s3 += d * d * d; s4 += d * d * d * d
            i += 1
        }
        let count = Double(n), shift = s1 / count
        return Moments(count: count, mean: Double(center) + shift, m2: s2 - count * shift * shift,
                       m3: s3 - 3 * shift * s2 + 2 * count * shift * shift * shift,
                       m4: s4 - 4 * shift * s3 + 6 * shift * shift * s2 - 3 * count * shift * shift * shift * shift)
    }

    /// The moments of `x` in Double throughout: two scalar passes, for values too large for Float power sums.
    static func exactly(_ x: UnsafeBufferPointer<Float>) -> Moments {
        var mean = 0.0
        for v in x { mean += Double(v) }
        mean /= Double(x.count)
        var result = Moments(count: Double(x.count), mean: mean)
        for v in x {
            let d = Double(v) - mean, d2 = d * d
            result.m2 += d2; result.m3 += d2 * d; result.m4 += d2 * d2
        }
        return result
    }

    /// The moments of values given as distinct values with their counts.
    static func of(_ values: [(value: Float, count: Int)]) -> Moments {
        var result = Moments()
        for (v, k) in values { result.count += Double(k); result.mean += Double(k) * Double(v) }
        guard result.count > 0 else { return result }
        result.mean /= result.count
        for (v, k) in values {
            let d = Double(v) - result.mean, d2 = d * d, w = Double(k)
            result.m2 += w * d2; result.m3 += w * d2 * d; result.m4 += w * d2 * d2
        }
        return result
    }

    /// A lane sum widened to Double; kept out of line so that the vector loops above are not merged with it.
    @inline(never)
    static func wide(_ v: SIMD8<Float>) -> Double { Double(v.sum()) }
}
