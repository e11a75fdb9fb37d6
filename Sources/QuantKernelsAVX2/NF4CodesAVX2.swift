#if arch(x86_64)
import _Builtin_intrinsics.intel

/// NF4 codes with AVX2: an estimate from a cubic, corrected by one threshold comparison.
///
/// The code of x is the number of NF4 thresholds below it (`x > t`). A cubic g, fitted by linear programming
/// (`scripts/fit-nf4-estimate.py`), keeps `c₀ = trunc(g(x))` within [code − 1, code] and within [0, 14] for
/// every x in [−1.01, 1.01], with 0.37 of a code to spare; so `code = c₀ + (x > t[c₀])`. The table reads (the
/// threshold, then the level) are 16-entry lookups, which the baseline x86-64 target does not have and which
/// Swift's own SIMD subscripts do not compile to: for eight lanes two `vpermps` and a blend, for 32 lanes four
/// `vpshufb` on byte planes (`BytePlanes`), which is what the measuring kernel uses. The codes were compared with
/// the threshold count on all 2,130,874,206 floats in the range when the cubic was fitted; `NF4AVX2Tests`
/// checks both paths on every float within 4096 steps of each threshold, of 0 and of ±1.01, and a grid.
///
/// Nothing in this module may run on a CPU without AVX2 and FMA: callers ask `KernelSet` first, and the module
/// has no globals, so that loading it runs none of its code.
public enum NF4CodesAVX2 {
    /// The 16 thresholds (the 15 of NF4, then +∞) and the 16 levels, in registers; and each as four byte planes
    /// (plane k holds byte k of every entry, in both 128-bit halves) for `vpshufb` lookups.
    struct Tables {
        let thresholdsLow: __m256, thresholdsHigh: __m256
        let levelsLow: __m256, levelsHigh: __m256
        let thresholdPlanes: BytePlanes, levelPlanes: BytePlanes

        /// `thresholds`: 16 floats, the last one +∞; `levels`: 16 floats, code order.
        @inline(__always)
        init(thresholds: UnsafePointer<Float>, levels: UnsafePointer<Float>) {
            thresholdsLow = _mm256_loadu_ps(thresholds)
            thresholdsHigh = _mm256_loadu_ps(thresholds + 8)
            levelsLow = _mm256_loadu_ps(levels)
            levelsHigh = _mm256_loadu_ps(levels + 8)
            thresholdPlanes = BytePlanes(thresholdsLow, thresholdsHigh)
            levelPlanes = BytePlanes(levelsLow, levelsHigh)
        }
    }

    /// A 16-entry table of 32-bit values split into four 16-byte planes, each repeated in both halves of a register.
    struct BytePlanes {
        let byte0: __m256i, byte1: __m256i, byte2: __m256i, byte3: __m256i

        /// From entries 0–7 in `low` and 8–15 in `high`.
        @inline(__always)
        init(_ low: __m256, _ high: __m256) {
            // Within each 128-bit half: gather byte k of the four entries there into bytes 4k…4k+3.
            let gather = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
                                          0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15)
            let a = _mm256_shuffle_epi8(_mm256_castps_si256(low), gather)    // entries 0–3 | 4–7, bytes by plane
            let b = _mm256_shuffle_epi8(_mm256_castps_si256(high), gather)   // entries 8–11 | 12–15
            // Dword k of each half is plane k of its four entries: gather the plane's four quarters (entries 0–3 and
            // 4–7 from a, 8–11 and 12–15 from b) into both halves.
            @inline(__always) func plane(_ k: Int32) -> __m256i {
                let index = _mm256_setr_epi32(k, 4 + k, 0, 0, k, 4 + k, 0, 0)  // dwords 2, 3, 6, 7 are not used
                return _mm256_unpacklo_epi64(_mm256_permutevar8x32_epi32(a, index), _mm256_permutevar8x32_epi32(b, index))
            }
            byte0 = plane(0)
            byte1 = plane(1)
            byte2 = plane(2)
            byte3 = plane(3)
        }

        /// `table[index]` for 32 byte indices (0…15) whose order `BytePlanes.indices` made: the four vectors of
        /// eight values, in the order of the vectors the indices came from.
        @inline(__always)
        func lookup(_ index: __m256i) -> (__m256, __m256, __m256, __m256) {
            let b0 = _mm256_shuffle_epi8(byte0, index), b1 = _mm256_shuffle_epi8(byte1, index)
            let b2 = _mm256_shuffle_epi8(byte2, index), b3 = _mm256_shuffle_epi8(byte3, index)
            // Interleaving bytes 0/1 and 2/3, then the two pairs, rebuilds each 32-bit value; the packing order of
            // `indices` makes the four results come out as the four source vectors, each in its lane order.
            let low01 = _mm256_unpacklo_epi8(b0, b1), high01 = _mm256_unpackhi_epi8(b0, b1)
            let low23 = _mm256_unpacklo_epi8(b2, b3), high23 = _mm256_unpackhi_epi8(b2, b3)
            return (_mm256_castsi256_ps(_mm256_unpacklo_epi16(low01, low23)), _mm256_castsi256_ps(_mm256_unpackhi_epi16(low01, low23)),
                    _mm256_castsi256_ps(_mm256_unpacklo_epi16(high01, high23)), _mm256_castsi256_ps(_mm256_unpackhi_epi16(high01, high23)))
        }

        /// Four vectors of eight 32-bit values in −128…127 packed into 32 bytes (signed saturation), in the order
        /// `lookup` undoes: per 128-bit half, four values of each vector in turn.
        @inline(__always)
        static func indices(_ a: __m256i, _ b: __m256i, _ c: __m256i, _ d: __m256i) -> __m256i {
            _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d))
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
        let estimate = estimate(x)
        let threshold = lookup(tables.thresholdsLow, tables.thresholdsHigh, estimate)
        let above = x .> threshold  // __m256 is SIMD8<Float>
        return _mm256_sub_epi32(estimate, unsafeBitCast(above, to: __m256i.self))  // a true lane is −1
    }

    /// The code estimate of eight values: the code or one less.
    @inline(__always)
    static func estimate(_ x: __m256) -> __m256i {
        _mm256_cvttps_epi32(_mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(-4.3396172523498535), x,
                                                                            _mm256_set1_ps(0.46556997299194336)), x,
                                                           _mm256_set1_ps(11.347796440124512)), x,
                                           _mm256_set1_ps(7.141447067260742)))
    }

    /// The codes of 32 values x with |x| ≤ 1.01 (four vectors), as bytes in `BytePlanes.indices` order: the same
    /// estimate and threshold comparison as `codes`, with the table reads done by `vpshufb` on byte planes,
    /// which this CPU family runs two per cycle where a `vpermps` takes a pipe for more than one.
    @inline(__always)
    static func codeBytes(_ x0: __m256, _ x1: __m256, _ x2: __m256, _ x3: __m256, _ tables: Tables) -> __m256i {
        corrected(estimateBytes(x0, x1, x2, x3), x0, x1, x2, x3, tables)
    }

    /// The first half of `codeBytes`: the 32 estimates (each the code or one less) as bytes.
    @inline(__always)
    static func estimateBytes(_ x0: __m256, _ x1: __m256, _ x2: __m256, _ x3: __m256) -> __m256i {
        BytePlanes.indices(estimate(x0), estimate(x1), estimate(x2), estimate(x3))
    }

    /// The second half of `codeBytes`: each estimate plus one where x lies above the threshold it names.
    @inline(__always)
    static func corrected(_ estimates: __m256i, _ x0: __m256, _ x1: __m256, _ x2: __m256, _ x3: __m256, _ tables: Tables) -> __m256i {
        let (t0, t1, t2, t3) = tables.thresholdPlanes.lookup(estimates)
        @inline(__always) func above(_ x: __m256, _ t: __m256) -> __m256i { unsafeBitCast(x .> t, to: __m256i.self) }  // true: −1
        return _mm256_sub_epi8(estimates, BytePlanes.indices(above(x0, t0), above(x1, t1), above(x2, t2), above(x3, t3)))
    }

    /// The NF4 level of each of eight values x with |x| ≤ 1.01.
    @inline(__always)
    static func levels(_ x: __m256, _ tables: Tables) -> __m256 {
        lookup(tables.levelsLow, tables.levelsHigh, codes(x, tables))
    }

    /// Writes the code of each of `count` values (a multiple of 32, each |x| ≤ 1.01) to `codes`, by the
    /// eight-lane path or (`bytePlanes`) the 32-value one; for tests, which compare it with the comparison against
    /// every threshold. Call only where `KernelSet` found the CPU able to run this module.
    public static func codes(of x: UnsafePointer<Float>, count: Int, thresholds: UnsafePointer<Float>,
                             levels: UnsafePointer<Float>, bytePlanes: Bool, into codes: UnsafeMutablePointer<Int32>) {
        precondition(count % 32 == 0, "a multiple of 32 values")
        let tables = Tables(thresholds: thresholds, levels: levels)
        // The code bytes looked up in a 16-entry identity table give the codes back in vector order.
        let identity = BytePlanes(_mm256_castsi256_ps(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)),
                                  _mm256_castsi256_ps(_mm256_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15)))
        var i = 0
        while i < count {
            if bytePlanes {
                let bytes = codeBytes(_mm256_loadu_ps(x + i), _mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(x + i + 16),
                                      _mm256_loadu_ps(x + i + 24), tables)
                let (c0, c1, c2, c3) = identity.lookup(bytes)
                for (k, c) in [c0, c1, c2, c3].enumerated() {
                    UnsafeMutableRawPointer(codes + i + 8 * k).storeBytes(of: c, as: __m256.self)
                }
            } else {
                for k in stride(from: 0, to: 32, by: 8) {
                    let c = Self.codes(_mm256_loadu_ps(x + i + k), tables)
                    UnsafeMutableRawPointer(codes + i + k).storeBytes(of: c, as: __m256i.self)
                }
            }
            i &+= 32
        }
    }
}
#endif
