/// Computes `TensorStats` in two streaming passes over a tensor: counts, extremes and central moments first (see
/// `ValueSummary`), then the histogram over the now-known range (see `BinCounter`). Tensors stored as 8- or 16-bit
/// codes take one pass instead (see `CodeHistogram`). Work is split into fixed pieces shared between threads,
/// so results do not depend on the thread count.
public enum StatsComputer {
    /// Elements per piece of work handed to a thread (1 MB of f32); smaller tensors run on one thread.
    static let pieceLength = 1 << 18

    /// Statistics of every weight in `view`, with a histogram of `bins` equal bins over [min, max].
    public static func compute(_ view: WeightView, bins: Int = 64, threads: Int = Parallel.coreCount) -> TensorStats {
        precondition(bins > 0, "a histogram needs at least one bin")
        if CodeHistogram.applies(to: view) {
            let (summary, histogram) = CodeHistogram.summarise(view, bins: bins, threads: threads)
            return stats(summary, histogram: histogram)
        }
        let pieces = pieces(of: view)
        let parts = PieceQueue.run(pieces.count, threads: threads, start: { [(piece: Int, summary: ValueSummary)]() }) { done, piece in
            var summary = ValueSummary()
            view.forEachChunk(in: pieces[piece]) { chunk, _ in summary.add(chunk) }
            done.append((piece, summary))
        }
        // Merged in piece order, so that rounding is the same for any number of threads.
        var summary = ValueSummary()
        for part in parts.joined().sorted(by: { $0.piece < $1.piece }) { summary.merge(part.summary) }
        guard summary.count > 0 else { return stats(summary, histogram: [Int](repeating: 0, count: bins)) }

        let layout = BinLayout(lower: summary.min, upper: summary.max, bins: bins)
        guard bins > 1, layout.scale > 0 else { // one bin, or all values equal
            var histogram = [Int](repeating: 0, count: bins)
            histogram[0] = summary.count
            return stats(summary, histogram: histogram)
        }
        let filter = summary.nan + summary.inf > 0
        // Pair tables hold about bins² counters to clear and read: worth it for large tensors only.
        let paired = BinCounter.canPair(bins: bins) && view.count >= 1 << 16
        // Last pieces first: the end of the first pass may still be in the last-level cache.
        let counters = PieceQueue.run(pieces.count, threads: threads, reversed: true, start: { BinCounter(layout: layout, paired: paired, inRange: true) }) { counter, piece in
            view.forEachChunk(in: pieces[piece]) { chunk, _ in
                if filter { addFinite(chunk, to: &counter) } else { counter.add(chunk) }
            }
        }
        var histogram = [Int](repeating: 0, count: bins)
        for counter in counters {
            for (b, n) in counter.histogram.enumerated() { histogram[b] += n }
        }
        return stats(summary, histogram: histogram)
    }

    /// Element ranges of `pieceLength` (whole blocks) covering the tensor.
    static func pieces(of view: WeightView) -> [Range<Int>] {
        let block = max(1, view.tensor.dtype.blockSize)
        let length = max(block, pieceLength / block * block)
        return stride(from: 0, to: view.count, by: length).map { $0..<min(view.count, $0 + length) }
    }

    /// Counts the finite values of `chunk` only.
    private static func addFinite(_ chunk: UnsafeBufferPointer<Float>, to counter: inout BinCounter) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: chunk.count) { finite in
            var kept = 0
            for v in chunk where v.isFinite {
                finite[kept] = v
                kept += 1
            }
            counter.add(UnsafeBufferPointer(rebasing: finite[0..<kept]))
        }
    }

    private static func stats(_ summary: ValueSummary, histogram: [Int]) -> TensorStats {
        guard summary.count > 0 else {
            return TensorStats(count: 0, nanCount: summary.nan, infCount: summary.inf, zeroCount: 0, min: .nan, max: .nan,
                               mean: .nan, std: .nan, maxAbs: .nan, kurtosis: .nan,
                               histogram: Histogram(lower: 0, upper: 0, counts: histogram))
        }
        let lower = Double(summary.min), upper = Double(summary.max)
        return TensorStats(count: summary.count, nanCount: summary.nan, infCount: summary.inf, zeroCount: summary.zeros,
                           min: lower, max: upper, mean: summary.moments.mean, std: summary.moments.variance.squareRoot(),
                           maxAbs: Swift.max(-lower, upper), kurtosis: summary.moments.kurtosis,
                           histogram: Histogram(lower: lower, upper: upper, counts: histogram))
    }
}
