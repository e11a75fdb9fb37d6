#if arch(x86_64)
import _Builtin_intrinsics.intel

/// The fused integer error kernels on AVX2: codes `round(w · (1/s))` (by adding and subtracting 1.5·2²³), clamped
/// into the unit's shifted range where a clamp can act, `ŵ = code · s`, and the error sums, in YMM registers.
/// Operation for operation (and operand order, so that even a NaN lane takes the same path) they are
/// `IntegerKernel.measureUnit` and the batch loop of `IntegerKernel.measureGroupBatches`, so the sums are the
/// portable build's bit for bit.
public enum IntegerMeasureAVX2 {
    /// Byte offsets of one batch's parameter table, eight Float lanes (groups) per field: as `IntegerKernel.BatchTable`.
    enum Table {
        static let scale = 0, inverse = 32, lowest = 64, highest = 96
    }

    /// Adds the errors of the `count` weights at `x` (a multiple of 8) that share one scale to `lanes`
    /// (`ErrorSums`' three vectors, 24 floats). With `clamps`, codes are clamped into [lowest, highest]. With
    /// `next`, also folds the range of the `count` weights there into `range` (eight lanes of smallest w, then
    /// eight of largest w, or of largest |w| when `symmetric`): the next unit's range, read while this one is measured.
    /// Call only where `KernelSet` found the CPU able to run this module.
    public static func measureUnit(_ x: UnsafePointer<Float>, count: Int, scale: Float, inverse: Float, lowest: Float, highest: Float,
                                   clamps: Bool, scanning next: UnsafePointer<Float>?, symmetric: Bool, range: UnsafeMutablePointer<Float>,
                                   lanes: UnsafeMutablePointer<Float>) {
        precondition(count % 8 == 0, "whole vectors")
        let unit = Parameters(scale: _mm256_set1_ps(scale), inverse: _mm256_set1_ps(inverse),
                              lowest: _mm256_set1_ps(lowest), highest: _mm256_set1_ps(highest))
        switch (clamps, next, symmetric) {
        case (false, nil, _): unit.measure(x, count, clamping: false, next: x, scan: .none, range, lanes)
        case (true, nil, _): unit.measure(x, count, clamping: true, next: x, scan: .none, range, lanes)
        case (false, let next?, true): unit.measure(x, count, clamping: false, next: next, scan: .magnitude, range, lanes)
        case (true, let next?, true): unit.measure(x, count, clamping: true, next: next, scan: .magnitude, range, lanes)
        case (false, let next?, false): unit.measure(x, count, clamping: false, next: next, scan: .extremes, range, lanes)
        case (true, let next?, false): unit.measure(x, count, clamping: true, next: next, scan: .extremes, range, lanes)
        }
    }

    /// What a measuring loop gathers of the weights ahead: nothing, their largest magnitude, or their extremes.
    enum Scan { case none, magnitude, extremes }

    /// Adds the errors of eight consecutive groups of `groupLength` weights (a multiple of 8) at `x`, group g with
    /// the parameters in lane g of `table` (see `Table`), to `lanes`; and writes the range of the eight groups at
    /// `next` to `partials`: per group g a vector of eight lanes of largest |w| (symmetric) or of largest w at vector
    /// g, and of smallest w at vector 8 + g (asymmetric). Without `tracksLargest` the largest squared error
    /// is left as it is (the caller has proved no error of the batch exceeds it).
    public static func measureBatch(_ x: UnsafePointer<Float>, groupLength: Int, table: UnsafeRawPointer,
                                    clamping: Bool, tracksLargest: Bool, symmetric: Bool,
                                    scanning next: UnsafePointer<Float>, partials: UnsafeMutableRawPointer,
                                    lanes: UnsafeMutablePointer<Float>) {
        precondition(groupLength % 8 == 0 && groupLength > 0, "whole vectors")
        switch (clamping, tracksLargest, symmetric) {
        case (false, false, true): batch(x, groupLength, table, false, false, true, next, partials, lanes)
        case (false, false, false): batch(x, groupLength, table, false, false, false, next, partials, lanes)
        case (false, true, true): batch(x, groupLength, table, false, true, true, next, partials, lanes)
        case (false, true, false): batch(x, groupLength, table, false, true, false, next, partials, lanes)
        case (true, _, true): batch(x, groupLength, table, true, true, true, next, partials, lanes)
        case (true, _, false): batch(x, groupLength, table, true, true, false, next, partials, lanes)
        }
    }

    @inline(__always)
    static func batch(_ x: UnsafePointer<Float>, _ groupLength: Int, _ table: UnsafeRawPointer,
                      _ clamping: Bool, _ tracksLargest: Bool, _ symmetric: Bool,
                      _ next: UnsafePointer<Float>, _ partials: UnsafeMutableRawPointer, _ lanes: UnsafeMutablePointer<Float>) {
        let signMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFF_FFFF))
        var sums = ErrorLanesAVX2(lanes)
        for g in 0..<8 {
            let unit = x + g &* groupLength, nextUnit = next + g &* groupLength
            @inline(__always) func lane(_ field: Int) -> __m256 { _mm256_set1_ps(table.load(fromByteOffset: field &+ 4 &* g, as: Float.self)) }
            let group = Parameters(scale: lane(Table.scale), inverse: lane(Table.inverse), lowest: lane(Table.lowest), highest: lane(Table.highest))
            var lo = symmetric ? _mm256_setzero_ps() : _mm256_loadu_ps(nextUnit), hi = lo
            var j = 0
            while j < groupLength {
                group.measure(_mm256_loadu_ps(unit + j), clamping: clamping, tracksLargest: tracksLargest, &sums)
                ReadAhead.line(beyond: nextUnit + j)
                let v = _mm256_loadu_ps(nextUnit + j)
                if symmetric {
                    hi = _mm256_max_ps(hi, _mm256_and_ps(v, signMask))
                } else {
                    lo = _mm256_min_ps(lo, v)
                    hi = _mm256_max_ps(hi, v)
                }
                j &+= 8
            }
            partials.storeBytes(of: hi, toByteOffset: 32 &* g, as: __m256.self)
            if !symmetric { partials.storeBytes(of: lo, toByteOffset: 256 &+ 32 &* g, as: __m256.self) }
        }
        sums.store(to: lanes)
    }

    /// One unit's parameters broadcast to eight lanes.
    struct Parameters {
        let scale: __m256, inverse: __m256, lowest: __m256, highest: __m256

        /// `measureUnit`'s loop; `next` is read only when `scan` is not `.none`.
        @inline(__always)
        func measure(_ x: UnsafePointer<Float>, _ count: Int, clamping: Bool, next: UnsafePointer<Float>, scan: Scan,
                     _ range: UnsafeMutablePointer<Float>, _ lanes: UnsafeMutablePointer<Float>) {
            let signMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFF_FFFF))
            var sums = ErrorLanesAVX2(lanes)
            var lo = _mm256_loadu_ps(range), hi = _mm256_loadu_ps(range + 8)
            var i = 0
            while i < count {
                measure(_mm256_loadu_ps(x + i), clamping: clamping, tracksLargest: true, &sums)
                ReadAhead.line(beyond: next + i)
                switch scan {
                case .none: break
                case .magnitude: hi = _mm256_max_ps(hi, _mm256_and_ps(_mm256_loadu_ps(next + i), signMask))
                case .extremes:
                    let v = _mm256_loadu_ps(next + i)
                    lo = _mm256_min_ps(lo, v)
                    hi = _mm256_max_ps(hi, v)
                }
                i &+= 8
            }
            sums.store(to: lanes)
            _mm256_storeu_ps(range, lo)
            _mm256_storeu_ps(range + 8, hi)
        }

        /// The fused step on eight weights: as `IntegerKernel.GroupParameters.measure`, with each select written
        /// as the `maxps`/`minps` that gives the same lane, NaN included.
        @inline(__always)
        func measure(_ v: __m256, clamping: Bool, tracksLargest: Bool, _ sums: inout ErrorLanesAVX2) {
            let magic = _mm256_set1_ps(12_582_912)  // 1.5 · 2²³
            var k = _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(v, inverse), magic), magic)
            if clamping {
                k = _mm256_max_ps(lowest, k)   // lowest > k ? lowest : k  ≡  k.replacing(with: lowest, where: k .< lowest)
                k = _mm256_min_ps(highest, k)  // highest < k ? highest : k
            }
            let q = _mm256_mul_ps(k, scale)
            let e = _mm256_sub_ps(v, q)
            let e2 = _mm256_mul_ps(e, e)
            sums.squaredError = _mm256_add_ps(sums.squaredError, e2)
            sums.squaredDequantized = _mm256_add_ps(sums.squaredDequantized, _mm256_mul_ps(q, q))
            // ErrorSums.add's select, `e2 > max ? e2 : max` (ErrorLanesAVX2.add keeps the other order, for NF4 and FP8).
            if tracksLargest { sums.maxSquaredError = _mm256_max_ps(e2, sums.maxSquaredError) }
        }
    }
}
#endif
