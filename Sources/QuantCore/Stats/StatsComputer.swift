/// Computes `TensorStats` in two streaming passes over a tensor: min, max, sum and counts first,
/// then the histogram and the central moments around the now-known mean (exact where raw power
/// sums would cancel). Large tensors are split across cores.
public enum StatsComputer {
    /// Tensors smaller than this are not split across threads.
    static let parallelThreshold = 1 << 18
    /// Float partial sums are flushed to Double every this many elements, bounding rounding error.
    static let flushInterval = 1024

    /// Statistics of every weight in `view`, with a histogram of `bins` equal bins over [min, max].
    public static func compute(_ view: WeightView, bins: Int = 64, threads: Int = Parallel.coreCount) -> TensorStats {
        precondition(bins > 0, "a histogram needs at least one bin")
        let parts = view.count < parallelThreshold ? 1 : threads
        let ranges = view.partition(into: parts)
        let firsts = Parallel.map(ranges.count, threads: parts) { i in
            var totals = FirstPass()
            view.forEachChunk(in: ranges[i]) { chunk, _ in firstPass(chunk, into: &totals) }
            return totals
        }
        var first = FirstPass()
        for part in firsts { first.merge(part) }
        guard first.count > 0 else {
            return TensorStats(count: 0, nanCount: first.nan, infCount: first.inf, zeroCount: 0, min: .nan, max: .nan,
                               mean: .nan, std: .nan, maxAbs: .nan, kurtosis: .nan,
                               histogram: Histogram(lower: 0, upper: 0, counts: [Int](repeating: 0, count: bins)))
        }
        let mean = first.sum / Double(first.count)
        let lower = first.min, upper = first.max
        let layout = BinLayout(lower: lower, upper: upper, bins: bins)
        let filter = first.nan + first.inf > 0
        let seconds = Parallel.map(ranges.count, threads: parts) { i in
            var totals = SecondPass(bins: bins)
            view.forEachChunk(in: ranges[i]) { chunk, _ in
                secondPass(chunk, mean: Float(mean), layout: layout, filterNonFinite: filter, into: &totals)
            }
            return totals
        }
        var second = SecondPass(bins: bins)
        for part in seconds { second.merge(part) }
        // The moments were taken around c0 = Float(mean); shift them to the exact mean c0 + c.
        let n = Double(first.count)
        let c = second.s1 / n
        let variance = max(0, second.s2 / n - c * c)
        let m4 = second.s4 / n - 4 * c * (second.s3 / n) + 6 * c * c * (second.s2 / n) - 3 * c * c * c * c
        let kurtosis = variance > 0 ? m4 / (variance * variance) - 3 : 0
        return TensorStats(count: first.count, nanCount: first.nan, infCount: first.inf, zeroCount: first.zeros,
                           min: Double(lower), max: Double(upper), mean: mean, std: variance.squareRoot(),
                           maxAbs: Swift.max(-Double(lower), Double(upper)), kurtosis: kurtosis,
                           histogram: Histogram(lower: Double(lower), upper: Double(upper), counts: second.histogram))
    }

    struct FirstPass {
        var count = 0, nan = 0, inf = 0, zeros = 0
        var min = Float.infinity, max = -Float.infinity
        var sum = 0.0

        mutating func merge(_ other: FirstPass) {
            count += other.count; nan += other.nan; inf += other.inf; zeros += other.zeros
            min = Swift.min(min, other.min); max = Swift.max(max, other.max); sum += other.sum
        }
    }

    struct SecondPass {
        /// Sums of d, d², d³, d⁴ with d = x − Float(mean).
        var s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0
        var histogram: [Int]

        init(bins: Int) { histogram = [Int](repeating: 0, count: bins) }

        mutating func merge(_ other: SecondPass) {
            s1 += other.s1; s2 += other.s2; s3 += other.s3; s4 += other.s4
            for i in histogram.indices { histogram[i] += other.histogram[i] }
        }
    }

    /// Maps a finite value in [lower, upper] to its bin.
    struct BinLayout {
        let lower: Float
        let scale: Float
        let last: Int

        init(lower: Float, upper: Float, bins: Int) {
            self.lower = lower
            let width = Double(upper) - Double(lower)
            scale = width > 0 ? Float(Double(bins) / width) : 0
            last = bins - 1
        }

        @inline(__always) func bin(_ x: Float) -> Int {
            let position = (x - lower) * scale
            guard position > 0 else { return 0 }
            return position < Float(last) ? Int(position) : last
        }
    }

    static func firstPass(_ x: UnsafeBufferPointer<Float>, into t: inout FirstPass) {
        let n = x.count
        let base = UnsafeRawPointer(x.baseAddress!)
        var vmin = SIMD16<Float>(repeating: .infinity), vmax = SIMD16<Float>(repeating: -.infinity)
        // Lane counters updated with shifts, not masks: mask-to-integer selects compile to per-lane stores here.
        var zeros = SIMD16<UInt32>(repeating: 0), bad = SIMD16<UInt32>(repeating: 0)
        var sum = 0.0
        var i = 0
        while i + 16 <= n {
            let blockEnd = Swift.min(n, i + flushInterval) & ~15
            var vsum = SIMD16<Float>(repeating: 0)
            while i + 16 <= blockEnd {
                let v = base.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                let bits = unsafeBitCast(v, to: SIMD16<UInt32>.self)
                vmin = vmin.replacing(with: v, where: v .< vmin)
                vmax = vmax.replacing(with: v, where: v .> vmax)
                vsum += v
                // |x| bits == 0 ⇔ x is ±0: subtracting 1 wraps to the top bit only then.
                zeros &+= ((bits & 0x7FFF_FFFF) &- 1) &>> 31
                // An all-ones exponent (NaN, ±Inf) carries into the top bit when one exponent step is added.
                bad &+= ((bits & 0x7F80_0000) &+ 0x0080_0000) &>> 31
                i += 16
            }
            sum += Double(vsum.sum())
        }
        if bad.wrappedSum() != 0 {
            // Rare: redo this chunk one value at a time, leaving non-finite values out.
            scalarFirstPass(x, from: 0, into: &t)
            return
        }
        var chunk = FirstPass()
        chunk.count = i
        chunk.zeros = Int(zeros.wrappedSum())
        chunk.min = vmin.min()
        chunk.max = vmax.max()
        chunk.sum = sum
        scalarFirstPass(x, from: i, into: &chunk)
        t.merge(chunk)
    }

    static func scalarFirstPass(_ x: UnsafeBufferPointer<Float>, from start: Int, into t: inout FirstPass) {
        var chunk = FirstPass()
        for i in start..<x.count {
            let v = x[i]
            if v.isNaN { chunk.nan += 1; continue }
            if v.isInfinite { chunk.inf += 1; continue }
            chunk.count += 1
            if v == 0 { chunk.zeros += 1 }
            chunk.min = Swift.min(chunk.min, v)
            chunk.max = Swift.max(chunk.max, v)
            chunk.sum += Double(v)
        }
        t.merge(chunk)
    }

    static func secondPass(_ x: UnsafeBufferPointer<Float>, mean: Float, layout: BinLayout, filterNonFinite: Bool, into t: inout SecondPass) {
        let n = x.count
        if filterNonFinite {
            // Compact the finite values and take the fast path over them.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { finite in
                var kept = 0
                for v in x where v.isFinite {
                    finite[kept] = v
                    kept += 1
                }
                if kept > 0 {
                    secondPass(UnsafeBufferPointer(rebasing: finite[0..<kept]), mean: mean, layout: layout, filterNonFinite: false, into: &t)
                }
            }
            return
        }
        let base = UnsafeRawPointer(x.baseAddress!)
        let m = SIMD16<Float>(repeating: mean)
        var i = 0
        while i + 16 <= n {
            let blockEnd = Swift.min(n, i + flushInterval) & ~15
            var a1 = SIMD16<Float>(repeating: 0), a2 = a1, a3 = a1, a4 = a1
            while i + 16 <= blockEnd {
                let d = base.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) - m
                let d2 = d * d
                a1 += d; a2 += d2; a3 += d2 * d; a4 += d2 * d2
                i += 16
            }
            t.s1 += Double(a1.sum()); t.s2 += Double(a2.sum()); t.s3 += Double(a3.sum()); t.s4 += Double(a4.sum())
        }
        while i < n {
            let d = Double(x[i] - mean)
            t.s1 += d; t.s2 += d * d; t.s3 += d * d * d; t.s4 += d * d * d * d
            i += 1
        }
        binAll(x, layout: layout, into: &t.histogram)
    }

    /// Histogram binning is scatter-bound. Bin indices are computed sixteen at a time with float
    /// operations only (an exact floor via the 2^23 trick, since float-to-int vector conversions are slow
    /// here), then counted into interleaved sub-histograms so repeated bins do not serialise on one counter.
    static func binAll(_ x: UnsafeBufferPointer<Float>, layout: BinLayout, into histogram: inout [Int]) {
        let bins = histogram.count
        let lanes = bins <= 2048 ? 16 : 1
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: bins * lanes) { sub in
            sub.initialize(repeating: 0)
            let h = sub.baseAddress!
            let n = x.count
            let base = UnsafeRawPointer(x.baseAddress!)
            let lower = SIMD16<Float>(repeating: layout.lower), scale = SIMD16<Float>(repeating: layout.scale)
            let last = SIMD16<Float>(repeating: Float(layout.last))
            let magic = SIMD16<Float>(repeating: 8_388_608) // 2^23
            let floor = SIMD16<Float>(repeating: 0)
            var offsets = SIMD16<UInt32>(repeating: 0)
            if lanes > 1 { for k in 0..<16 { offsets[k] = UInt32((k % lanes) * bins) } }
            var i = 0
            withUnsafeTemporaryAllocation(of: SIMD16<UInt32>.self, capacity: 1) { slot in
                let indices = UnsafeMutableRawPointer(slot.baseAddress!).assumingMemoryBound(to: UInt32.self)
                while i + 16 <= n {
                    var p = (base.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) - lower) * scale
                    p = p.replacing(with: last, where: p .> last)
                    p = p.replacing(with: floor, where: .!(p .>= floor)) // below range or NaN
                    var r = (p + magic) - magic
                    r = r.replacing(with: r - 1, where: r .> p)
                    let bits = unsafeBitCast(r + magic, to: SIMD16<UInt32>.self) & 0x7F_FFFF
                    slot[0] = bits &+ offsets
                    for k in 0..<16 { h[Int(indices[k])] &+= 1 }
                    i += 16
                }
            }
            while i < n { h[layout.bin(x[i])] &+= 1; i += 1 }
            for b in 0..<bins {
                var total = 0
                for lane in 0..<lanes { total += Int(h[lane * bins + b]) }
                histogram[b] += total
            }
        }
    }
}
