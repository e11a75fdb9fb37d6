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
        let groups = Groups(x: x, length: group, scales: scales, reciprocals: reciprocals, lookaheadDistance: lookaheadDistance,
                            lookaheadEnd: lookaheadEnd, lookaheadMaxima: lookaheadMaxima,
                            tables: NF4CodesAVX2.Tables(thresholds: tables, levels: tables + 16))
        var sums = ErrorLanesAVX2(lanes)
        if group % 32 == 0 {
            let blocksStart = Swift.min(end, (start &+ 31) & ~31), blocksEnd = Swift.max(blocksStart, end & ~31)
            groups.measureVectors(from: start, to: blocksStart, into: &sums)
            groups.measureBlocks(from: blocksStart, to: blocksEnd, into: &sums)
            groups.measureVectors(from: blocksEnd, to: end, into: &sums)
        } else {
            groups.measureVectors(from: start, to: end, into: &sums)
        }
        sums.store(to: lanes)
    }

    /// What `measure` knows of the groups, and its two loops.
    struct Groups {
        let x: UnsafePointer<Float>, length: Int
        let scales: UnsafePointer<Float>, reciprocals: UnsafePointer<Float>
        let lookaheadDistance: Int, lookaheadEnd: Int, lookaheadMaxima: UnsafeMutablePointer<Float>
        let tables: NF4CodesAVX2.Tables
        typealias Block = (__m256, __m256, __m256, __m256)

        /// Whether group j reads ahead; without a group ahead the loops read its own weights again (from cache)
        /// rather than test in every iteration.
        @inline(__always) func looksAhead(_ j: Int) -> Bool { j &* length &+ lookaheadDistance < lookaheadEnd }
        @inline(__always) func ahead(of j: Int) -> UnsafePointer<Float> { looksAhead(j) ? x + lookaheadDistance : x }
        @inline(__always) func fold(_ aheadMax: __m256, into j: Int) {
            if looksAhead(j) { lookaheadMaxima[j] = Swift.max(lookaheadMaxima[j], ErrorLanesAVX2.horizontalMax(aheadMax)) }
        }
        /// `ReadAhead` for the two cache lines of the 32 lookahead weights at `p` (NF4: 0.53 → 0.67 × the read loop
        /// on two cores).
        @inline(__always) func prefetch(_ p: UnsafePointer<Float>) {
            ReadAhead.line(beyond: p)
            ReadAhead.line(beyond: p + 16)
        }

        @inline(__always) func magnitude(_ p: UnsafePointer<Float>) -> __m256 {
            _mm256_and_ps(_mm256_loadu_ps(p), _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFF_FFFF)))
        }

        /// Vectors of 8 from `from` to `to`, group by group.
        @inline(__always)
        func measureVectors(from: Int, to: Int, into sums: inout ErrorLanesAVX2) {
            var position = from, j = from / length
            while position < to {
                let groupEnd = Swift.min(to, (j + 1) &* length)
                let scale = _mm256_set1_ps(scales[j]), reciprocal = _mm256_set1_ps(reciprocals[j]), ahead = ahead(of: j)
                var aheadMax = _mm256_setzero_ps()
                var i = position
                while i < groupEnd {
                    aheadMax = _mm256_max_ps(aheadMax, magnitude(ahead + i))
                    if i & 31 == 0 { prefetch(ahead + i) }
                    let w = _mm256_loadu_ps(x + i)
                    let q = _mm256_mul_ps(NF4CodesAVX2.levels(_mm256_mul_ps(w, reciprocal), tables), scale)
                    sums.add(error: _mm256_sub_ps(w, q), dequantized: q)
                    i &+= 8
                }
                fold(aheadMax, into: j)
                position = groupEnd
                j &+= 1
            }
        }

        /// Blocks of 32 from `from` to `to` (multiples of 32, and of 32 within each group), their codes and levels
        /// by byte-plane lookups, software-pipelined across the whole range: the codes of block b + 1 are estimated
        /// before block b's levels and sums and finished after them, so that two dependency chains sit side by side
        /// in the reorder window (one block's chain alone is too long for the core to overlap enough of them: 2.0 →
        /// 2.5 G weights/s from L1). A block that starts a group takes its reciprocal, scale and lookahead.
        @inline(__always)
        func measureBlocks(from: Int, to: Int, into sums: inout ErrorLanesAVX2) {
            guard from < to else { return }
            var p = from, j = from / length, groupEnd = (j + 1) &* length
            var scale = _mm256_set1_ps(scales[j]), reciprocal = _mm256_set1_ps(reciprocals[j]), ahead = ahead(of: j)
            var aheadMax = _mm256_setzero_ps()
            let first = scaled(load(p), reciprocal)
            var codes = NF4CodesAVX2.codeBytes(first.0, first.1, first.2, first.3, tables)
            while p &+ 32 < to {
                let following = p &+ 32, entersGroup = following == groupEnd
                let nextReciprocal = entersGroup ? _mm256_set1_ps(reciprocals[j &+ 1]) : reciprocal
                let next = load(following)
                let v = scaled(next, nextReciprocal)
                let estimates = NF4CodesAVX2.estimateBytes(v.0, v.1, v.2, v.3)
                add(load(p), codes, scale, into: &sums)
                aheadMax = _mm256_max_ps(aheadMax, largest(ahead + p))
                prefetch(ahead + p)
                if entersGroup {
                    fold(aheadMax, into: j)
                    aheadMax = _mm256_setzero_ps()
                    j &+= 1
                    groupEnd &+= length
                    scale = _mm256_set1_ps(scales[j])
                    ahead = self.ahead(of: j)
                }
                codes = NF4CodesAVX2.corrected(estimates, v.0, v.1, v.2, v.3, tables)
                reciprocal = nextReciprocal
                p = following
            }
            add(load(p), codes, scale, into: &sums)
            aheadMax = _mm256_max_ps(aheadMax, largest(ahead + p))
            fold(aheadMax, into: j)
        }

        @inline(__always) func load(_ i: Int) -> Block {
            (_mm256_loadu_ps(x + i), _mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(x + i + 24))
        }

        @inline(__always) func scaled(_ w: Block, _ r: __m256) -> Block {
            (_mm256_mul_ps(w.0, r), _mm256_mul_ps(w.1, r), _mm256_mul_ps(w.2, r), _mm256_mul_ps(w.3, r))
        }

        @inline(__always) func largest(_ p: UnsafePointer<Float>) -> __m256 {
            _mm256_max_ps(_mm256_max_ps(magnitude(p), magnitude(p + 8)), _mm256_max_ps(magnitude(p + 16), magnitude(p + 24)))
        }

        /// The levels of a block from its codes, and its errors, in vector order (as the eight-weight loop adds them).
        @inline(__always) func add(_ w: Block, _ codes: __m256i, _ scale: __m256, into sums: inout ErrorLanesAVX2) {
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
    }
}
#endif
