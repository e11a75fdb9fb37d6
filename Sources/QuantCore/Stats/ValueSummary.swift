/// Everything about a stream of values except the histogram: counts of finite, NaN, infinite and zero values,
/// the extremes, and the central moments of the finite values. Chunks are added as they are read and summaries of
/// separate pieces merged, so one pass over memory suffices.
struct ValueSummary {
    var count = 0, nan = 0, inf = 0, zeros = 0
    var min = Float.infinity, max = -Float.infinity
    var moments = Moments()

    mutating func merge(_ other: ValueSummary) {
        count += other.count; nan += other.nan; inf += other.inf; zeros += other.zeros
        min = Swift.min(min, other.min); max = Swift.max(max, other.max)
        moments.merge(other.moments)
    }

    /// Adds a chunk small enough to stay in cache: one vector sweep for the extremes, zeros and sum, a second for the
    /// moments around the chunk's mean.
    mutating func add(_ x: UnsafeBufferPointer<Float>) {
        guard !x.isEmpty else { return }
        let sweep = Self.sweep(x)
        // A NaN or infinity makes the sum non-finite (so can a Float overflow, which the slow path also handles).
        guard sweep.sum.isFinite else { return addFiltering(x) }
        count += x.count; zeros += sweep.zeros
        min = Swift.min(min, sweep.min); max = Swift.max(max, sweep.max)
        moments.merge(Moments.of(x, around: Float(sweep.sum / Double(x.count))))
    }

    /// Counts and leaves out the non-finite values of `x`, then adds the rest.
    private mutating func addFiltering(_ x: UnsafeBufferPointer<Float>) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: x.count) { finite in
            var kept = 0
            for v in x {
                if v.isNaN { nan += 1 } else if v.isInfinite { inf += 1 } else { finite[kept] = v; kept += 1 }
            }
            guard kept > 0 else { return }
            let values = UnsafeBufferPointer(rebasing: finite[0..<kept])
            let sweep = Self.sweep(values)
            count += kept; zeros += sweep.zeros
            min = Swift.min(min, sweep.min); max = Swift.max(max, sweep.max)
            moments.merge(sweep.sum.isFinite ? Moments.of(values, around: Float(sweep.sum / Double(kept))) : Moments.exactly(values))
        }
    }

    /// Minimum, maximum, number of ±0 and sum (Float partial sums flushed to Double) of `x`. Extremes ignore NaN.
    /// The two halves of `x` are swept side by side: two streams of reads from memory keep more of them in flight.
    static func sweep(_ x: UnsafeBufferPointer<Float>) -> (min: Float, max: Float, zeros: Int, sum: Double) {
        let n = x.count, half = n / 2 & ~7
        let first = UnsafeRawPointer(x.baseAddress!), second = first + 4 * half
        var vmin = SIMD8<Float>(repeating: .infinity), vmax = SIMD8<Float>(repeating: -.infinity)
        let zero = SIMD8<Float>(repeating: 0), allOnes = SIMD8<Float>(repeating: Float(bitPattern: ~0))
        // Zeros are counted by subtracting compare masks (all ones = −1) in integer lanes.
        var zeros = SIMD8<UInt32>(repeating: 0)
        var sum = 0.0
        var i = 0
        while i < half {
            let blockEnd = Swift.min(half, i + Moments.flushInterval / 2)
            var vsum = zero
            while i < blockEnd {
                let a = first.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                let b = second.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                let low = a.replacing(with: b, where: b .< a), high = a.replacing(with: b, where: b .> a)
                vmin = vmin.replacing(with: low, where: low .< vmin)
                vmax = vmax.replacing(with: high, where: high .> vmax)
                vsum += a + b
                zeros &-= unsafeBitCast(zero.replacing(with: allOnes, where: a .== zero), to: SIMD8<UInt32>.self)
                    &+ unsafeBitCast(zero.replacing(with: allOnes, where: b .== zero), to: SIMD8<UInt32>.self)
                i += 8
            }
            sum += Moments.wide(vsum)
        }
        var low = vmin.min(), high = vmax.max(), zeroCount = Int(zeros.wrappedSum())
        for v in x[(2 * half)...] {
            low = Swift.min(low, v); high = Swift.max(high, v)
            sum += Double(v)
            if v == 0 { zeroCount += 1 }
        }
        return (low, high, zeroCount, sum)
    }
}
