/// Lane-parallel versions of the K-quant scale searches: lane j of a SIMD vector runs ggml's scalar search for
/// sub-block j, so every lane evaluates exactly the scalar float32 operations in the scalar order (bit-exact),
/// while the sub-blocks of a super-block run side by side.
///
/// Callers pass sub-blocks transposed: `X[i]` holds element i of every sub-block. The float form of `nearest_int`
/// used here is exact because every argument is bounded (|arg| ≤ nmax + 2) for finite inputs below 1e30;
/// `isTame` checks that, and callers fall back to the scalar code for other blocks.
///
/// The code is written for the concrete `SIMD8<Float>`: in generic code over `V: SIMD` Swift picks the protocol's
/// generic lane-by-lane operators (comparisons there become scalar loops), while the concrete type gets SSE instructions.
enum KQuantLanes {
    typealias V = SIMD8<Float>
    typealias I = SIMD8<Int32>
    typealias U = SIMD8<UInt32>
    static let width = 8

    /// Whether all `n` values are finite with magnitude below 1e30 (the lane code's precondition).
    @inline(__always)
    static func isTame(_ x: UnsafePointer<Float>, _ n: Int) -> Bool {
        // A sum of values below 1e30 in magnitude is finite exactly when none is NaN or infinite.
        var sum = V.zero, big = V.zero
        let raw = UnsafeRawPointer(x)
        for i in stride(from: 0, to: n, by: 8) {
            let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: V.self)
            sum += v
            big = vmax(big, abs(v))
        }
        let s = sum.lowHalf + sum.highHalf
        return ((s[0] + s[1]) + (s[2] + s[3])).isFinite && !any(select(big, lessThan: V(repeating: 1e30), .zero, V(repeating: 1)))
    }

    /// One lane vector of a super-block's final levels: where `dl` ≠ 0, clamp(nearest_int(arg), lo, hi) + shift;
    /// where `dl` = 0, `previous` (ggml keeps the search's levels there). `worst` collects |arg| of the lanes used,
    /// which must stay within the range where the float `nearest_int` is exact.
    @_transparent
    static func finalLevel(_ arg: V, dl: V, previous: V, lo: V, hi: V, shift: V, worst: inout V) -> V {
        worst = vmax(worst, select(dl, equalTo: .zero, .zero, abs(arg)))
        return select(dl, equalTo: .zero, previous, clamp(nearest(arg), lo, hi) + shift)
    }

    /// Whether some lane of `worst` (see `finalLevel`) exceeds the range where the float `nearest_int` is exact.
    @inline(__always)
    static func outOfRange(_ worst: V) -> Bool {
        any(select(worst, greaterThan: V(repeating: 4_194_303), V(repeating: 1), .zero))
    }

    /// fabsf in every lane (clears the sign bit, so -0 becomes +0).
    @inline(__always)
    static func abs(_ v: V) -> V {
        unsafeBitCast(unsafeBitCast(v, to: U.self) & 0x7fff_ffff, to: V.self)
    }

    /// ggml's `nearest_int`, as a float, for |v| ≤ 4194303.
    @inline(__always)
    static func nearest(_ v: V) -> V {
        (v + 12_582_912) - 12_582_912
    }

    // Lane-wise selects are written as loops over the lanes of whole vectors, which LLVM turns into `maxps`/`minps`
    // or `cmpps` + `and`/`andn`/`or`; `replacing(with:where:)` and `any`/`all` on `SIMDMask` go through the mask's
    // integer storage on this target and come out as long shuffle sequences or calls.

    @inline(__always)
    static func vmax(_ a: V, _ b: V) -> V {
        var r = a
        for i in 0..<8 { r[i] = b[i] > a[i] ? b[i] : a[i] }
        return r
    }

    @inline(__always)
    static func vmin(_ a: V, _ b: V) -> V {
        var r = a
        for i in 0..<8 { r[i] = b[i] < a[i] ? b[i] : a[i] }
        return r
    }

    /// `a > b ? t : e` lane by lane.
    @inline(__always)
    static func select(_ a: V, greaterThan b: V, _ t: V, _ e: V) -> V {
        var r = e
        for i in 0..<8 { r[i] = a[i] > b[i] ? t[i] : e[i] }
        return r
    }

    /// `a < b ? t : e` lane by lane.
    @inline(__always)
    static func select(_ a: V, lessThan b: V, _ t: V, _ e: V) -> V {
        var r = e
        for i in 0..<8 { r[i] = a[i] < b[i] ? t[i] : e[i] }
        return r
    }

    /// `a == b ? t : e` lane by lane.
    @inline(__always)
    static func select(_ a: V, equalTo b: V, _ t: V, _ e: V) -> V {
        var r = e
        for i in 0..<8 { r[i] = a[i] == b[i] ? t[i] : e[i] }
        return r
    }

    /// Whether any lane of a vector of 0/1 flags is 1.
    @inline(__always)
    static func any(_ flags: V) -> Bool {
        let lo = flags.lowHalf, hi = flags.highHalf
        var a = lo
        for i in 0..<4 { a[i] = hi[i] > lo[i] ? hi[i] : lo[i] }
        return (a[0] + a[1]) + (a[2] + a[3]) > 0
    }

    /// ggml's MAX(lo, MIN(hi, l)) for an integer-valued l (a -0 may stay -0, which no sum or product here tells from 0).
    @inline(__always)
    static func clamp(_ l: V, _ lo: V, _ hi: V) -> V { vmin(vmax(l, lo), hi) }

    /// The 16 sub-blocks of 16 at `x` as lanes: `X[16g + i]` lane j is `x[16(8g + j) + i]` (g = 0, 1), by 4×4
    /// transposes of vector loads (`unpcklps`/`movlhps` and kin), not one lane insert per value.
    @inline(__always)
    static func transpose16(_ x: UnsafePointer<Float>, into X: UnsafeMutablePointer<V>) {
        typealias F4 = SIMD4<Float>
        let src = UnsafeRawPointer(x), dst = UnsafeMutableRawPointer(X)
        for g in 0..<2 {
            for r in 0..<2 {
                for c in 0..<4 {
                    // Rows: sub-blocks 8g + 4r + k (k = 0…3), elements 4c…4c+3.
                    @_transparent func row(_ k: Int) -> F4 {
                        src.loadUnaligned(fromByteOffset: 64 * (8 * g + 4 * r + k) + 16 * c, as: F4.self)
                    }
                    let a = row(0), b = row(1), e = row(2), f = row(3)
                    let t0 = F4(a[0], b[0], a[1], b[1]), t1 = F4(a[2], b[2], a[3], b[3])
                    let t2 = F4(e[0], f[0], e[1], f[1]), t3 = F4(e[2], f[2], e[3], f[3])
                    let out = 32 * (16 * g + 4 * c) + 16 * r
                    dst.storeBytes(of: F4(t0[0], t0[1], t2[0], t2[1]), toByteOffset: out, as: F4.self)
                    dst.storeBytes(of: F4(t0[2], t0[3], t2[2], t2[3]), toByteOffset: out + 32, as: F4.self)
                    dst.storeBytes(of: F4(t1[0], t1[1], t3[0], t3[1]), toByteOffset: out + 64, as: F4.self)
                    dst.storeBytes(of: F4(t1[2], t1[3], t3[2], t3[3]), toByteOffset: out + 96, as: F4.self)
                }
            }
        }
    }

    /// `make_qkx2_quants` in every lane. `Lbest` receives the levels (as floats); returns (scale, the_min) per lane.
    ///
    /// Skips the [0, nmax] clamp of a candidate when it cannot bind: levels stay ≤ nmax while the candidate's numerator
    /// is ≤ nmax + 0.25, and stay ≥ 0 while every lane's min is ≤ its smallest x. The best levels are not copied at
    /// each improvement: the winning candidate's iscale and min are kept and its levels recomputed once at the end.
    @inline(__always)
    static func makeQKX2(
        n: Int, nmax: Float, X: UnsafePointer<V>, W: UnsafePointer<V>, Lbest: UnsafeMutablePointer<V>,
        Laux: UnsafeMutablePointer<V>, rmin: Float, rdelta: Float, nstep: Int, useMad: Bool
    ) -> (scale: V, theMin: V) {
        let zero = V.zero, one = V(repeating: 1)
        var mn = X[0], mx = X[0]
        var sumW = W[0]
        var sumX = sumW * X[0]
        for i in 1..<n {
            let xi = X[i]
            mn = vmin(mn, xi)
            mx = vmax(mx, xi)
            let w = W[i]
            sumW += w
            sumX += w * xi
        }
        let xmin = mn
        mn = vmin(mn, zero)
        // 1 where max == min (ggml returns all-zero levels there).
        let degenerate = select(mx, equalTo: mn, one, zero)
        let clampedMin = mn
        let hi = V(repeating: nmax)
        // A subnormal max − min makes iscale infinite; ggml's integer nearest_int then gives −4194304 or 0 (NaN),
        // both clamped to level 0, which an iscale of 0 reproduces.
        let infinity = V(repeating: .infinity)
        @inline(__always) func levelScale(_ s: V) -> V { select(s, lessThan: infinity, s, zero) }
        var iscale = V(repeating: nmax) / (mx - mn)
        var scale = V(repeating: 1) / iscale
        iscale = levelScale(iscale)
        var bestIscale = iscale, bestShift = mn
        var bestMad = V.zero
        for i in 0..<n {
            let l = clamp(nearest(iscale * (X[i] - mn)), zero, hi)
            var diff = scale * l + mn - X[i]
            diff = useMad ? abs(diff) : diff * diff
            bestMad += W[i] * diff
        }
        // X − min for the current min (ggml computes x[i] − min for every candidate; it only changes with min).
        // Lbest serves as storage until the final levels are written.
        let XM = Lbest
        for i in 0..<n { XM[i] = X[i] - mn }
        var lowSafe = true
        if nstep >= 1 {
            for step in 0...nstep {
                let numerator = rmin + rdelta * Float(step) + nmax
                iscale = levelScale(V(repeating: numerator) / (mx - mn))
                var sumL = V.zero, sumL2 = V.zero, sumXL = V.zero
                @inline(__always) func sums(clampLow: Bool, clampHigh: Bool) {
                    for i in 0..<n {
                        var l = nearest(iscale * XM[i])
                        if clampLow { l = vmax(l, zero) }
                        if clampHigh { l = vmin(l, hi) }
                        Laux[i] = l
                        let wl = W[i] * l
                        sumL += wl
                        sumL2 += wl * l
                        sumXL += wl * X[i]
                    }
                }
                switch (!lowSafe, numerator > nmax + 0.25) {
                case (false, false): sums(clampLow: false, clampHigh: false)
                case (false, true): sums(clampLow: false, clampHigh: true)
                case (true, false): sums(clampLow: true, clampHigh: false)
                case (true, true): sums(clampLow: true, clampHigh: true)
                }
                let D = sumW * sumL2 - sumL * sumL
                var thisScale = (sumW * sumXL - sumX * sumL) / D
                var thisMin = (sumL2 * sumX - sumL * sumXL) / D
                thisScale = select(thisMin, greaterThan: zero, sumXL / sumL2, thisScale)
                thisMin = vmin(thisMin, zero)
                var mad = V.zero
                if useMad {
                    for i in 0..<n {
                        let diff = abs(thisScale * Laux[i] + thisMin - X[i])
                        mad += W[i] * diff
                    }
                } else {
                    for i in 0..<n {
                        let diff = thisScale * Laux[i] + thisMin - X[i]
                        mad += W[i] * (diff * diff)
                    }
                }
                // 1 where D > 0 and mad < bestMad.
                let better = select(D, greaterThan: zero, select(mad, lessThan: bestMad, one, zero), zero)
                if !any(better) { continue }
                bestMad = select(better, greaterThan: zero, mad, bestMad)
                scale = select(better, greaterThan: zero, thisScale, scale)
                bestIscale = select(better, greaterThan: zero, iscale, bestIscale)
                bestShift = select(better, greaterThan: zero, mn, bestShift)
                mn = select(better, greaterThan: zero, thisMin, mn)
                // 1 where mn > xmin in a lane that is not degenerate.
                lowSafe = !any(select(mn, greaterThan: xmin, one - degenerate, zero))
                for i in 0..<n { XM[i] = X[i] - mn }
            }
        }
        // The winning candidate's levels (ggml clamps every candidate's levels; the clamp cannot change a level
        // that was computed without it above).
        for i in 0..<n {
            let l = clamp(nearest(bestIscale * (X[i] - bestShift)), zero, hi)
            Lbest[i] = select(degenerate, greaterThan: zero, zero, l)
        }
        var theMin = V.zero - mn
        theMin = select(degenerate, greaterThan: zero, V.zero - clampedMin, theMin)
        scale = select(degenerate, greaterThan: zero, zero, scale)
        return (scale, theMin)
    }

    /// `make_qx_quants` with rmse_type 1 and no importance weights in every lane; returns the scale.
    ///
    /// The levels are not written: Q6_K needs them only in the rare sub-blocks whose scale rounds to 0, so the search
    /// leaves how to recompute them. `levels[0]` receives the winning iscale and `levels[1]` the shift (nmax, or 0 with
    /// iscale 0 where the group is all zero): ggml's level i is clamp(nearest(iscale·x[i]), −nmax, nmax − 1) + shift.
    /// `scratch` holds 2·n + 19 vectors (the weights x² and x³, which ggml computes identically for every candidate, and
    /// the candidates' iscales).
    @inline(__always)
    static func makeQX(n: Int, nmax: Float, X: UnsafePointer<V>, levels: UnsafeMutablePointer<V>, scratch: UnsafeMutablePointer<V>) -> V {
        let zero = V.zero, one = V(repeating: 1)
        let W = scratch, WX = scratch + n
        var amax = V.zero, mx = V.zero
        for i in 0..<n {
            let x = X[i]
            let ax = abs(x)
            mx = select(ax, greaterThan: amax, x, mx)
            amax = vmax(amax, ax)
            let w = x * x
            W[i] = w
            WX[i] = w * x
        }
        let lo = V(repeating: -nmax), hi = V(repeating: nmax - 1)
        var iscale = V(repeating: -nmax) / mx
        var sumlx = V.zero, suml2 = V.zero
        // The clamps that can bind: |iscale·x| ≤ |nmax + 0.1·step|·(1 + 2⁻²²) since |x| ≤ |mx| (finite lanes that are
        // not all zero), so no level passes −nmax for step ≤ 4, nor ±(nmax − 1) for step ≤ −6.
        @inline(__always) func sums(_ iscale: V, clampLow: Bool, clampHigh: Bool) {
            for i in 0..<n {
                var l = nearest(iscale * X[i])
                if clampLow { l = vmax(l, lo) }
                if clampHigh { l = vmin(l, hi) }
                sumlx += WX[i] * l
                suml2 += W[i] * l * l
            }
        }
        sums(iscale, clampLow: false, clampHigh: true)
        var scale = select(suml2, equalTo: zero, zero, sumlx / suml2)
        var best = scale * sumlx
        var bestIscale = iscale
        // The candidates' iscales depend only on mx: dividing them all first keeps the divisions off the search's path.
        let iscales = scratch + 2 * n
        for step in -9...9 where step != 0 { iscales[step + 9] = V(repeating: -(nmax + 0.1 * Float(step))) / mx }
        for step in -9...9 where step != 0 {
            iscale = iscales[step + 9]
            sumlx = .zero
            suml2 = .zero
            if step <= -6 {
                sums(iscale, clampLow: false, clampHigh: false)
            } else if step <= 4 {
                sums(iscale, clampLow: false, clampHigh: true)
            } else {
                sums(iscale, clampLow: true, clampHigh: true)
            }
            let better = mask(suml2, greaterThan: zero) & mask(sumlx * sumlx, greaterThan: best * suml2)
            // ggml's best = scale·sumlx with the new scale where it is taken: the candidate's quotient and product do
            // not wait for the comparison, which leaves only a product, a comparison and a blend between candidates.
            let quotient = sumlx / suml2
            scale = blend(better, quotient, scale)
            best = blend(better, quotient * sumlx, best)
            bestIscale = blend(better, iscale, bestIscale)
        }
        // 1 where the group is (almost) all zero.
        let allZero = select(amax, lessThan: V(repeating: 1e-15), one, zero)
        levels[0] = select(allZero, greaterThan: zero, zero, bestIscale)
        levels[1] = select(allZero, greaterThan: zero, zero, V(repeating: nmax))
        return select(allZero, greaterThan: zero, zero, scale)
    }
}

// MARK: - make_q3_quants

extension KQuantLanes {
    /// ggml's integer `nearest_int` bit trick, evaluated in float lanes: exact for every input, including
    /// |v| > 4194303, infinities and NaN (where ggml's result is bits of the mantissa, not a rounding).
    @inline(__always)
    static func nearestExact(_ v: V) -> V {
        nearestExactOffset(v) - 12_582_912
    }

    /// `nearestExact(v)` + 1.5·2²³, exactly (the float whose bits the trick leaves), one subtraction less: the low
    /// byte of its bit pattern is that of the integer.
    @inline(__always)
    static func nearestExactOffset(_ v: V) -> V {
        unsafeBitCast(unsafeBitCast(v + 12_582_912, to: U.self) & 0x007f_ffff | 0x4b00_0000, to: V.self)
    }

    /// All-ones where `a > b`.
    @inline(__always)
    static func mask(_ a: V, greaterThan b: V) -> U {
        unsafeBitCast(select(a, greaterThan: b, allOnes, .zero), to: U.self)
    }

    /// All-ones where `a != b` (or either is NaN).
    @inline(__always)
    static func mask(_ a: V, notEqualTo b: V) -> U {
        unsafeBitCast(select(a, equalTo: b, .zero, allOnes), to: U.self)
    }

    /// A float vector whose bits are all ones (integer lane selects come out as scalar loops, float ones as `cmpps`).
    @inline(__always)
    static var allOnes: V { unsafeBitCast(U(repeating: ~0), to: V.self) }

    /// Whether any bit of `m` is set.
    @inline(__always)
    static func anySet(_ m: U) -> Bool {
        let h = m.lowHalf | m.highHalf
        return (h[0] | h[1]) | (h[2] | h[3]) != 0
    }

    /// `t` where `m` is all-ones, `e` where it is zero.
    @inline(__always)
    static func blend(_ m: U, _ t: V, _ e: V) -> V {
        unsafeBitCast((unsafeBitCast(t, to: U.self) & m) | (unsafeBitCast(e, to: U.self) & ~m), to: V.self)
    }

    /// Bit i of every lane (for gathering per-lane flags into bitmasks).
    @_transparent
    static func bit(_ i: Int) -> U { U(repeating: 1 &<< UInt32(i)) }

    /// The OR of all lanes.
    @_transparent
    static func orLanes(_ m: U) -> UInt32 {
        // Halves by bit cast: `lowHalf`/`highHalf` are not always inlined in large functions.
        let (l, r) = unsafeBitCast(m, to: (SIMD4<UInt32>, SIMD4<UInt32>).self)
        let h = l | r
        return (h[0] | h[1]) | (h[2] | h[3])
    }

    /// ggml's MAX(-4, MIN(3, l)) as a float (written out: the generic `min`/`max` are not always inlined).
    @_transparent
    static func clampQ3(_ l: Int32) -> Float { Float(l < -4 ? -4 : l > 3 ? 3 : l) }

    /// The vector at `p + offset` (a multiple of the vector size from a vector-aligned `p`).
    @_transparent
    static func load(_ p: UnsafeRawPointer, _ offset: Int = 0) -> V {
        (p + offset).assumingMemoryBound(to: V.self).pointee
    }

    /// Stores `v` at `p + offset` (a multiple of the vector size from a vector-aligned `p`).
    @_transparent
    static func store(_ v: V, _ p: UnsafeMutableRawPointer, _ offset: Int = 0) {
        (p + offset).assumingMemoryBound(to: V.self).pointee = v
    }

    /// Lane j's bit j where `m` is set (a per-lane flag vector as a bitmask).
    @_transparent
    static func laneBits(_ m: U) -> UInt32 {
        // As a float sum of 1, 2, …, 128 where `m` is set: on integers, LLVM turns mask, AND and the OR over lanes into
        // one scalar comparison per lane.
        let f = unsafeBitCast(unsafeBitCast(V(1, 2, 4, 8, 16, 32, 64, 128), to: U.self) & m, to: V.self)
        let (l, r) = unsafeBitCast(f, to: (SIMD4<Float>, SIMD4<Float>).self)
        let h = l + r
        // The sum (an integer below 256) as the low bits of 2²³ + sum: no checked conversion.
        return ((h[0] + h[2]) + (h[1] + h[3]) + 8_388_608).bitPattern & 0xff
    }

    /// Where `q3Search` leaves a super-block's sub-blocks' sumlx, suml2 and iscale, 16 of each (in 8 vectors).
    struct Q3SearchState {
        static let vectors = 8
        let base: UnsafeMutableRawPointer
        @_transparent var sumlx: UnsafeMutablePointer<Float> { base.assumingMemoryBound(to: Float.self) }
        @_transparent var suml2: UnsafeMutablePointer<Float> { sumlx + 16 }
        @_transparent var iscale: UnsafeMutablePointer<Float> { sumlx + 32 }
    }

    /// `make_q3_quants` with `do_rmse = true` and nmax 4 for the 16 sub-blocks of 16 of a super-block, given transposed
    /// in `X` (see `transpose16`), up to the end of the first refinement pass. Writes the sums and iscale into `state`.
    /// Returns bit j of `allZero` for an all-zero sub-block j (ggml's levels are 0 there, and its scale 0), and bit j of
    /// `refined` where the first pass changes a level: those sub-blocks go on in `q3RefineLanes`, the others are done,
    /// with levels clamp(nearest_int(iscale·x)). `scratch` holds 64 vectors.
    ///
    /// ggml refines a sub-block element by element over up to five passes, and most sub-blocks change nothing in the
    /// first pass. A pass without a change evaluates every element against the same sums, so the first pass of all 16
    /// sub-blocks runs in lanes here without the serial chain (`q3FirstPass`).
    ///
    /// Exact for every input: the rounding is `nearestExact`, and every float operation is ggml's, in ggml's order.
    @inline(never)
    static func q3Search(X: UnsafePointer<V>, scratch: UnsafeMutablePointer<V>, state: Q3SearchState) -> (allZero: UInt32, refined: UInt32) {
        let L = scratch, WXL = scratch + 32, WLL = scratch + 48
        let perLane = state.base
        var allZeroBits: UInt32 = 0, refined: UInt32 = 0
        for g in 0..<2 {
            let s = q3Start(X + 16 * g, L + 16 * g, WXL, WLL)
            // Only sub-blocks whose x of largest magnitude is negative can change: with a positive maximum,
            // iscale = −nmax/max < 0, every level has the sign opposite to its x (or is 0), every term x³·l of sumlx is
            // ≤ 0, and so is their float sum, whose magnitude is at least that of each term (the terms share a sign and
            // rounding is monotonic); sumlx − x³·l is then ≤ 0 and ggml's `slx > 0` never holds.
            let mayChange = ~(mask(s.mx, greaterThan: .zero) | s.allZero)
            let t = anySet(mayChange)
                ? q3FirstPass(X + 16 * g, L + 16 * g, WXL, WLL, sumlx: s.sumlx, suml2: s.suml2, mayChange: mayChange) & mayChange
                : U.zero
            store(s.sumlx, perLane, 32 * g)
            // suml2 = 0 in all-zero sub-blocks, so that their scale sumlx/suml2 reads as 0 without their bit.
            store(blend(s.allZero, .zero, s.suml2), perLane, 64 + 32 * g)
            store(s.iscale, perLane, 128 + 32 * g)
            allZeroBits |= laneBits(s.allZero) &<< UInt32(8 * g)
            // All-ones where t ≠ 0 (its bits are below 2¹⁶, so 0 − t is negative exactly there).
            let changes = unsafeBitCast(unsafeBitCast(U.zero &- t, to: SIMD8<Int32>.self) &>> 31, to: U.self)
            refined |= laneBits(changes) &<< UInt32(8 * g)
        }
        return (allZeroBits, refined)
    }

    /// ggml's refinement passes of `make_q3_quants` (up to five over the 16 elements; an element's level changes where
    /// that raises sumlx²/suml2) for 16 sub-blocks side by side, lane p running sub-block p from its first levels.
    /// Element i of lane p's sub-block is lane p % 8 of `X[2i + p / 8]`, with x² and x³ likewise in `W` and `WX`; its
    /// levels (floats −4…3) likewise in `L`; `sums` holds sumlx (2 vectors) then suml2 (2 vectors). Levels and sums are
    /// updated in place.
    ///
    /// All lanes run the same passes (at most `passes`): a lane whose pass changes nothing starts the next pass in the
    /// same state, so that pass changes nothing either, just as ggml would stop there. A lane with x = 0 and sums 0 never
    /// changes (padding). Refining a sub-block element by element is a serial chain; sixteen of them in lanes run side
    /// by side. Returns bit p for the lanes whose last pass changed a level.
    @inline(never)
    static func q3RefineLanes(
        X: UnsafePointer<V>, W: UnsafePointer<V>, WX: UnsafePointer<V>, L: UnsafeMutablePointer<V>, sums: UnsafeMutablePointer<V>,
        passes: Int, takes: UnsafeMutablePointer<U>
    ) -> UInt32 {
        var sx0 = sums[0], sx1 = sums[1], s20 = sums[2], s21 = sums[3]
        // Each element's change mask goes to `takes` (32 vectors) and the pass ORs them at its end: an OR carried
        // through the pass holds two more registers, and more of the sums spill to the stack.
        var changedLanes: UInt32 = 0
        for _ in 0..<passes {
            for i in 0..<16 {
                q3RefineElement(X[2 * i], W[2 * i], WX[2 * i], L + 2 * i, sumlx: &sx0, suml2: &s20, take: takes + 2 * i)
                q3RefineElement(X[2 * i + 1], W[2 * i + 1], WX[2 * i + 1], L + 2 * i + 1, sumlx: &sx1, suml2: &s21, take: takes + 2 * i + 1)
            }
            var low = U.zero, high = U.zero
            for k in 0..<16 {
                low |= takes[2 * k]
                high |= takes[2 * k + 1]
            }
            changedLanes = laneBits(low) | laneBits(high) &<< 8
            if changedLanes == 0 { break }
        }
        sums[0] = sx0
        sums[1] = sx1
        sums[2] = s20
        sums[3] = s21
        return changedLanes
    }

    /// One element of ggml's refinement pass in every lane (see `q3Check`); `take` receives its change mask.
    @_transparent
    static func q3RefineElement(
        _ x: V, _ w: V, _ wx: V, _ L: UnsafeMutablePointer<V>, sumlx: inout V, suml2: inout V, take: UnsafeMutablePointer<U>
    ) {
        let l = L.pointee
        var newL = V.zero, slxNew = V.zero, sl2New = V.zero
        let t = q3Check(x, w, wx, l, sumlx: sumlx, suml2: suml2, sxx: sumlx * sumlx, newL: &newL, slxNew: &slxNew, sl2New: &sl2New)
        L.pointee = blend(t, newL, l)
        sumlx = blend(t, slxNew, sumlx)
        suml2 = blend(t, sl2New, suml2)
        take.pointee = t
    }

    /// The start of `make_q3_quants` for 8 sub-blocks in lanes: the first levels l into `L`, x³·l and x²·l·l into `WXL`
    /// and `WLL`, and the sums; `allZero` is all-ones in the lanes of all-zero sub-blocks (whose other results are meaningless).
    @_transparent
    static func q3Start(
        _ X: UnsafePointer<V>, _ L: UnsafeMutablePointer<V>, _ WXL: UnsafeMutablePointer<V>, _ WLL: UnsafeMutablePointer<V>
    ) -> (sumlx: V, suml2: V, iscale: V, mx: V, allZero: U) {
        let hi = V(repeating: 3)
        let (amax, mx) = q3LargestMagnitude(X)
        let iscale = -4 / mx
        var sumlx = V.zero, suml2 = V.zero
        for i in 0..<16 {
            let x = X[i]
            // ggml's MAX(-4, MIN(3, nearest_int(iscale·x))) where x is not NaN: |iscale·x| ≤ 4·(1 + 2⁻²²) (|x| ≤ |max|, or
            // iscale = 0 for an infinite max), so the float rounding is exact and no level falls below −4. A NaN product
            // (x NaN, or ±∞ times 0) gives a NaN level here, where ggml's is an integer; but x² is then NaN or ∞, so the
            // lane's sums are NaN either way: its scale is NaN, no refinement step passes `slx > 0`, and its final levels
            // are recomputed (`Q3KCodec.searchLevels`). All-zero lanes are masked.
            let l = vmin(nearest(iscale * x), hi)
            L[i] = l
            let w = x * x
            let wx = w * x
            let wxl = wx * l, wll = w * l * l
            // The products of the current level, which the first pass subtracts again.
            WXL[i] = wxl
            WLL[i] = wll
            sumlx += wxl
            suml2 += wll
        }
        return (sumlx, suml2, iscale, mx, mask(V(repeating: 1e-15), greaterThan: amax))
    }

    /// ggml's amax and max for 16 values in lanes: the largest |x|, and the first x of that magnitude (NaN skipped).
    ///
    /// From the largest and the smallest x (two instructions per vector instead of six): the larger in magnitude is max.
    /// Only where both signs reach the same magnitude does the order decide, and then ggml's loop runs.
    @_transparent
    static func q3LargestMagnitude(_ X: UnsafePointer<V>) -> (amax: V, mx: V) {
        var top = V.zero, bottom = V.zero
        for i in 0..<16 {
            top = vmax(top, X[i])
            bottom = vmin(bottom, X[i])
        }
        let depth = V.zero - bottom
        if anySet(mask(top, greaterThan: .zero) & ~mask(top, notEqualTo: depth)) {
            var amax = V.zero, mx = V.zero
            for i in 0..<16 {
                let ax = abs(X[i])
                mx = select(ax, greaterThan: amax, X[i], mx)
                amax = vmax(amax, ax)
            }
            return (amax, mx)
        }
        return (vmax(top, depth), select(depth, greaterThan: top, bottom, top))
    }

    /// Whether element i of each lane's sub-block changes in `make_q3_quants`' first pass if no element before it does:
    /// bit i of each lane (meaningful in the lanes of `mayChange`).
    ///
    /// Most elements keep their level in every lane, and `q3MayTake` tells so without the division; only the elements
    /// where some lane might change go through the whole step.
    @_transparent
    static func q3FirstPass(
        _ X: UnsafePointer<V>, _ L: UnsafePointer<V>, _ WXL: UnsafePointer<V>, _ WLL: UnsafePointer<V>,
        sumlx: V, suml2: V, mayChange: U
    ) -> U {
        // Uses the products of the current level from `q3Start` (multiplications are the scarce resource here: they
        // share two ports with the division, comparisons, min and max).
        var candidates: UInt32 = 0
        for i in 0..<16 {
            let unsure = q3MayTake(slx: sumlx - WXL[i], p: X[i] * (suml2 - WLL[i]), l: L[i]) & mayChange
            candidates |= orLanes(unsure) & (1 &<< UInt32(i))
        }
        let sxx = sumlx * sumlx
        var bits = U.zero
        while candidates != 0 {
            let i = candidates.trailingZeroBitCount
            candidates &= candidates &- 1
            let x = X[i], l = L[i]
            let w = x * x
            let wx = w * x
            let slx = sumlx - WXL[i]
            let sl2 = suml2 - WLL[i]
            let newL = clamp(nearestExact(x * sl2 / slx), V(repeating: -4), V(repeating: 3))
            let slxNew = slx + wx * newL
            let sl2New = sl2 + w * newL * newL
            let take = mask(slx, greaterThan: .zero) & mask(newL, notEqualTo: l) & mask(sl2New, greaterThan: .zero)
                & mask(slxNew * slxNew * suml2, greaterThan: sxx * sl2New)
            bits |= take & bit(i)
        }
        return bits
    }

    /// All-ones in the lanes where ggml's refinement step might change a level l, given slx = sumlx − x³·l and
    /// p = x·sl2 as ggml computes them; zero only where it surely does not: where slx ≥ 2⁻¹⁰⁰ and |p − l·slx| < 0.4999·slx,
    /// the new level nearest_int(p / slx) is l (the float errors of these operations are below 10⁻⁶·slx for |l| ≤ 4, and
    /// a normal slx keeps them relative). Both bounds are one comparison: 0.4999·slx > |p − l·slx| + 0.4999·2⁻¹⁰⁰ (a
    /// float sum is at least each of its non-negative terms). Lanes with slx ≤ 0, where ggml skips the element, may come
    /// out all-ones too (rare where the largest |x| is negative; callers mask the other lanes).
    @_transparent
    static func q3MayTake(slx: V, p: V, l: V) -> U {
        let margin = V(repeating: 0.4999 * 0x1p-100)
        return ~mask(V(repeating: 0.4999) * slx, greaterThan: abs(p - l * slx) + margin)
    }

    /// ggml's refinement step for element `x` (weights `w` = x², `wx` = x³) at level `l`, lane by lane: all-ones where
    /// ggml changes the level (to `newL`, with new sums `slxNew` and `sl2New`). `sxx` is sumlx·sumlx.
    @_transparent
    static func q3Check(
        _ x: V, _ w: V, _ wx: V, _ l: V, sumlx: V, suml2: V, sxx: V, newL: inout V, slxNew: inout V, sl2New: inout V
    ) -> U {
        let slx = sumlx - wx * l
        let sl2 = suml2 - w * l * l
        newL = clamp(nearestExact(x * sl2 / slx), V(repeating: -4), V(repeating: 3))
        slxNew = slx + wx * newL
        sl2New = sl2 + w * newL * newL
        return mask(slx, greaterThan: .zero) & mask(newL, notEqualTo: l) & mask(sl2New, greaterThan: .zero)
            & mask(slxNew * slxNew * suml2, greaterThan: sxx * sl2New)
    }
}
