#if arch(x86_64)
import _Builtin_intrinsics.intel

/// NF4 codes of eight lanes at once with AVX2: an estimate from a cubic, corrected by one threshold comparison.
///
/// The code of x is the number of NF4 thresholds below it (`x > t`). A cubic g, fitted by linear programming
/// (`scripts/fit-nf4-estimate.py`), keeps `c₀ = trunc(g(x))` within [code − 1, code] and within [0, 14] for
/// every x in [−1.01, 1.01], with 0.37 of a code to spare; so `code = c₀ + (x > t[c₀])`. Both table reads are
/// `vpermps` lookups into 16 entries (two registers, chosen by bit 3 of the index), which the baseline x86-64
/// target does not have and which Swift's own SIMD subscripts do not compile to. The codes were compared with
/// the threshold count on all 2,130,874,206 floats in the range when the cubic was fitted; `NF4AVX2Tests`
/// checks every float within 4096 steps of each threshold, of 0 and of ±1.01, and a grid over the range.
///
/// Nothing in this module may run on a CPU without AVX2 and FMA: callers ask `KernelSet` first, and the module
/// has no globals, so that loading it runs none of its code.
public enum NF4CodesAVX2 {
    /// The 16 thresholds (the 15 of NF4, then +∞) and the 16 levels, in registers.
    struct Tables {
        let thresholdsLow: __m256, thresholdsHigh: __m256
        let levelsLow: __m256, levelsHigh: __m256

        /// `thresholds`: 16 floats, the last one +∞; `levels`: 16 floats, code order.
        @inline(__always)
        init(thresholds: UnsafePointer<Float>, levels: UnsafePointer<Float>) {
            thresholdsLow = _mm256_loadu_ps(thresholds)
            thresholdsHigh = _mm256_loadu_ps(thresholds + 8)
            levelsLow = _mm256_loadu_ps(levels)
            levelsHigh = _mm256_loadu_ps(levels + 8)
        }
    }

    /// `table[index]` per lane for a 16-entry table held as entries 0–7 and 8–15.
    @inline(__always)
    static func lookup(_ low: __m256, _ high: __m256, _ index: __m256i) -> __m256 {
        let fromLow = _mm256_permutevar8x32_ps(low, index), fromHigh = _mm256_permutevar8x32_ps(high, index)
        return _mm256_blendv_ps(fromLow, fromHigh, _mm256_castsi256_ps(_mm256_slli_epi32(index, 28)))
    }

    /// The codes of eight values x with |x| ≤ 1.01.
    @inline(__always)
    static func codes(_ x: __m256, _ tables: Tables) -> __m256i {
        let g = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(-4.3396172523498535), x,
                                                                 _mm256_set1_ps(0.46556997299194336)), x,
                                                _mm256_set1_ps(11.347796440124512)), x,
                                _mm256_set1_ps(7.141447067260742))
        let estimate = _mm256_cvttps_epi32(g)
        let threshold = lookup(tables.thresholdsLow, tables.thresholdsHigh, estimate)
        let above = x .> threshold  // __m256 is SIMD8<Float>
        return _mm256_sub_epi32(estimate, unsafeBitCast(above, to: __m256i.self))  // a true lane is −1
    }

    /// The NF4 level of each of eight values x with |x| ≤ 1.01.
    @inline(__always)
    static func levels(_ x: __m256, _ tables: Tables) -> __m256 {
        lookup(tables.levelsLow, tables.levelsHigh, codes(x, tables))
    }

    /// Writes the code of each of `count` values (a multiple of 8, each |x| ≤ 1.01) to `codes`;
    /// for tests, which compare it with the comparison against every threshold. Call only where
    /// `KernelSet` found the CPU able to run this module.
    public static func codes(of x: UnsafePointer<Float>, count: Int, thresholds: UnsafePointer<Float>,
                             levels: UnsafePointer<Float>, into codes: UnsafeMutablePointer<Int32>) {
        precondition(count % 8 == 0, "a multiple of 8 values")
        let tables = Tables(thresholds: thresholds, levels: levels)
        var i = 0
        while i < count {
            let c = Self.codes(_mm256_loadu_ps(x + i), tables)
            _mm256_storeu_si256(UnsafeMutableRawPointer(codes + i).assumingMemoryBound(to: __m256i.self), c)
            i &+= 8
        }
    }
}
#endif
