#if arch(x86_64)
import _Builtin_intrinsics.intel

/// The fused NF4 error kernel on AVX2: per 32 (or 8) weights, `x = w · (1/absmax)`, the level from `NF4CodesAVX2`,
/// `ŵ = level · absmax` and the error sums, all in vector registers (the portable kernel moves every lane
/// through the general-purpose registers for its table lookup).
public enum NF4MeasureAVX2 {
    /// Adds the errors of weights `start..<end` (multiples of 8) of the groups of `length` weights at `x` to
    /// `lanes` (three vectors of eight Floats: Σ(ŵ − w)², Σŵ², max (ŵ − w)², in `ErrorSums`' lane order and
    /// operations, so the sums equal the portable kernel's bit for bit when the caller flushes at the same
    /// points). `scales[j]` is group j's stored absmax and `reciprocals[j]` its reciprocal; every group in the range must
    /// have a positive absmax, a finite reciprocal and |w|/absmax ≤ 1.01.
    ///
    /// The kernel also reads the weights `lookaheadDistance` further on (a whole number of groups), while they
    /// lie before `lookaheadEnd`, and raises `lookaheadMaxima[j]` to the largest |w| it saw there for group j:
    /// that read is the first touch of those weights, from memory, and overlaps the arithmetic here.
    /// `tables` holds 16 thresholds (the last +∞) then the 16 levels.
    public static func measure(_ x: UnsafePointer<Float>, from start: Int, to end: Int, length group: Int,
                               scales: UnsafePointer<Float>, reciprocals: UnsafePointer<Float>,
                               lookaheadDistance: Int, lookaheadEnd: Int, lookaheadMaxima: UnsafeMutablePointer<Float>,
                               tables: UnsafePointer<Float>, lanes: UnsafeMutablePointer<Float>) {
        precondition(group % 8 == 0 && start % 8 == 0 && end % 8 == 0 && lookaheadDistance % group == 0,
                     "whole vectors, lookahead by whole groups")
        let tables = NF4CodesAVX2.Tables(thresholds: tables, levels: tables + 16)
        let signMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFF_FFFF))
        var sums = ErrorLanesAVX2(lanes)
        var position = start, j = start / group
        while position < end {
            let groupEnd = Swift.min(end, (j + 1) &* group)
            let scale = _mm256_set1_ps(scales[j]), reciprocal = _mm256_set1_ps(reciprocals[j])
            // Without a group ahead the loop reads its own weights a second time (from cache) rather than test
            // for a lookahead in every iteration.
            let looksAhead = j &* group &+ lookaheadDistance < lookaheadEnd
            let ahead = looksAhead ? x + lookaheadDistance : x
            var aheadMax = _mm256_setzero_ps()
            var i = position
            // 32 weights at a time (their codes and levels by byte-plane lookups), then vectors of 8. The blocks of 32
            // are software-pipelined: the codes of block b + 1 are estimated before block b's levels and sums and
            // finished after them, so that the two dependency chains sit side by side in the reorder window (one
            // block's chain alone is too long for the core to overlap enough of them: 2.0 → 2.5 G weights/s from L1).
            if i &+ 32 <= groupEnd {
                @inline(__always) func load(_ i: Int) -> (__m256, __m256, __m256, __m256) {
                    (_mm256_loadu_ps(x + i), _mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(x + i + 24))
                }
                @inline(__always) func scaled(_ w: (__m256, __m256, __m256, __m256)) -> (__m256, __m256, __m256, __m256) {
                    (_mm256_mul_ps(w.0, reciprocal), _mm256_mul_ps(w.1, reciprocal), _mm256_mul_ps(w.2, reciprocal), _mm256_mul_ps(w.3, reciprocal))
                }
                @inline(__always) func readAhead(_ i: Int) {
                    aheadMax = _mm256_max_ps(aheadMax, _mm256_max_ps(_mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(ahead + i), signMask),
                                                                                   _mm256_and_ps(_mm256_loadu_ps(ahead + i + 8), signMask)),
                                                                     _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(ahead + i + 16), signMask),
                                                                                   _mm256_and_ps(_mm256_loadu_ps(ahead + i + 24), signMask))))
                }
                // In vector order, as the eight-weight loop adds them.
                @inline(__always) func add(_ w: (__m256, __m256, __m256, __m256), _ codes: __m256i) {
                    let levels = tables.levelPlanes.lookup(codes)
                    var q = _mm256_mul_ps(levels.0, scale)
                    sums.add(error: _mm256_sub_ps(w.0, q), dequantized: q)
                    q = _mm256_mul_ps(levels.1, scale)
                    sums.add(error: _mm256_sub_ps(w.1, q), dequantized: q)
                    q = _mm256_mul_ps(levels.2, scale)
                    sums.add(error: _mm256_sub_ps(w.2, q), dequantized: q)
                    q = _mm256_mul_ps(levels.3, scale)
                    sums.add(error: _mm256_sub_ps(w.3, q), dequantized: q)
                }
                var w = load(i)
                let first = scaled(w)
                var codes = NF4CodesAVX2.codeBytes(first.0, first.1, first.2, first.3, tables)
                readAhead(i)
                i &+= 32
                while i &+ 32 <= groupEnd {
                    let next = load(i)
                    readAhead(i)
                    let v = scaled(next)
                    let estimates = NF4CodesAVX2.estimateBytes(v.0, v.1, v.2, v.3)
                    add(w, codes)
                    codes = NF4CodesAVX2.corrected(estimates, v.0, v.1, v.2, v.3, tables)
                    w = next
                    i &+= 32
                }
                add(w, codes)
            }
            while i < groupEnd {
                aheadMax = _mm256_max_ps(aheadMax, _mm256_and_ps(_mm256_loadu_ps(ahead + i), signMask))
                let w = _mm256_loadu_ps(x + i)
                let q = _mm256_mul_ps(NF4CodesAVX2.levels(_mm256_mul_ps(w, reciprocal), tables), scale)
                sums.add(error: _mm256_sub_ps(w, q), dequantized: q)
                i &+= 8
            }
            if looksAhead { lookaheadMaxima[j] = Swift.max(lookaheadMaxima[j], ErrorLanesAVX2.horizontalMax(aheadMax)) }
            position = groupEnd
            j &+= 1
        }
        sums.store(to: lanes)
    }
}
#endif
