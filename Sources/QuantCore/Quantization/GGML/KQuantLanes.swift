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

    /// `make_qx_quants` with rmse_type 1 and no importance weights in every lane. `L` receives levels 0…2·nmax−1 as floats.
    /// `scratch` holds 2·n vectors (the weights x² and x³, which ggml computes identically for every candidate).
    @inline(__always)
    static func makeQX(n: Int, nmax: Float, X: UnsafePointer<V>, L: UnsafeMutablePointer<V>, scratch: UnsafeMutablePointer<V>) -> V {
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
        for i in 0..<n {
            let l = clamp(nearest(iscale * X[i]), lo, hi)
            sumlx += WX[i] * l
            suml2 += W[i] * l * l
        }
        var scale = select(suml2, equalTo: zero, zero, sumlx / suml2)
        var best = scale * sumlx
        var bestIscale = iscale
        for step in -9...9 where step != 0 {
            iscale = V(repeating: -(nmax + 0.1 * Float(step))) / mx
            sumlx = .zero
            suml2 = .zero
            for i in 0..<n {
                let l = clamp(nearest(iscale * X[i]), lo, hi)
                sumlx += WX[i] * l
                suml2 += W[i] * l * l
            }
            // 1 where suml2 > 0 and sumlx² > best·suml2.
            let better = select(suml2, greaterThan: zero, select(sumlx * sumlx, greaterThan: best * suml2, one, zero), zero)
            scale = select(better, greaterThan: zero, sumlx / suml2, scale)
            best = select(better, greaterThan: zero, scale * sumlx, best)
            bestIscale = select(better, greaterThan: zero, iscale, bestIscale)
        }
        // 1 where the group is (almost) all zero.
        let allZero = select(amax, lessThan: V(repeating: 1e-15), one, zero)
        let shift = V(repeating: nmax)
        for i in 0..<n {
            L[i] = select(allZero, greaterThan: zero, zero, clamp(nearest(bestIscale * X[i]), lo, hi) + shift)
        }
        return select(allZero, greaterThan: zero, zero, scale)
    }
}

// MARK: - make_q3_quants

extension KQuantLanes {
    /// ggml's integer `nearest_int` bit trick, evaluated in float lanes: exact for every input, including
    /// |v| > 4194303, infinities and NaN (where ggml's result is bits of the mantissa, not a rounding).
    @inline(__always)
    static func nearestExact(_ v: V) -> V {
        let bits = unsafeBitCast(v + 12_582_912, to: U.self) & 0x007f_ffff | 0x4b00_0000
        return unsafeBitCast(bits, to: V.self) - 12_582_912
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

    /// `make_q3_quants` with `do_rmse = true` for two groups of 8 sub-blocks (`X[0..<n]` and `X[n..<2n]`), run side by side
    /// so that the two dependency chains of the refinement overlap. Writes levels 0…2·nmax−1 as floats into `L`
    /// (0 for an all-zero sub-block) and returns the scales of both groups. `scratch` holds 4·n vectors.
    ///
    /// Exact for every input: the rounding is `nearestExact`, and a lane whose refinement has settled repeats it
    /// unchanged while another lane still changes (ggml stops early there, with the same result).
    @inline(__always)
    static func makeQ3(n: Int, nmax: Float, X: UnsafePointer<V>, L: UnsafeMutablePointer<V>, scratch: UnsafeMutablePointer<V>) -> (V, V) {
        let lo = V(repeating: -nmax), hi = V(repeating: nmax - 1), zero = V.zero
        // The weights x² and x³, which ggml recomputes identically at every step.
        let W = scratch, WX = scratch + 2 * n
        // Per group: the x of the largest |x| (first on ties), then the first guess and its sums.
        @inline(__always) func start(_ X: UnsafePointer<V>, _ L: UnsafeMutablePointer<V>, _ W: UnsafeMutablePointer<V>,
                                     _ WX: UnsafeMutablePointer<V>) -> (sumlx: V, suml2: V, allZero: U) {
            var amax = V.zero, mx = V.zero
            for i in 0..<n {
                let ax = abs(X[i])
                mx = select(ax, greaterThan: amax, X[i], mx)
                amax = vmax(amax, ax)
            }
            let iscale = -nmax / mx
            var sumlx = V.zero, suml2 = V.zero
            for i in 0..<n {
                let x = X[i]
                let l = clamp(nearestExact(iscale * x), lo, hi)
                L[i] = l
                let w = x * x
                W[i] = w
                WX[i] = w * x
                sumlx += w * x * l
                suml2 += w * l * l
            }
            return (sumlx, suml2, mask(V(repeating: 1e-15), greaterThan: amax))
        }
        let X1 = X + n, L1 = L + n, W1 = W + n, WX1 = WX + n
        var (sumlx0, suml20, allZero0) = start(X, L, W, WX)
        var (sumlx1, suml21, allZero1) = start(X1, L1, W1, WX1)
        for _ in 0..<5 {
            var changed0 = U.zero, changed1 = U.zero
            for i in 0..<n {
                q3Refine(X[i], W[i], WX[i], &L[i], &sumlx0, &suml20, &changed0, lo: lo, hi: hi)
                q3Refine(X1[i], W1[i], WX1[i], &L1[i], &sumlx1, &suml21, &changed1, lo: lo, hi: hi)
            }
            // All-zero lanes run on meaningless values; only the others decide whether to go on.
            if !anySet((changed0 & ~allZero0) | (changed1 & ~allZero1)) { break }
        }
        let shift = V(repeating: nmax)
        for i in 0..<n {
            L[i] = blend(allZero0, zero, L[i] + shift)
            L1[i] = blend(allZero1, zero, L1[i] + shift)
        }
        return (blend(allZero0, zero, sumlx0 / suml20), blend(allZero1, zero, sumlx1 / suml21))
    }

    /// One step of `make_q3_quants`' refinement for element `x` with level `L`: ggml's inner loop body, taken in the
    /// lanes where its conditions hold (`@_transparent`: with `@inline(__always)` it stayed a call, and its state went through memory).
    @_transparent
    static func q3Refine(_ x: V, _ w: V, _ wx: V, _ L: inout V, _ sumlx: inout V, _ suml2: inout V, _ changed: inout U, lo: V, hi: V) {
        let li = L
        let slx = sumlx - wx * li
        let sl2 = suml2 - w * li * li
        let newL = clamp(nearestExact(x * sl2 / slx), lo, hi)
        let slxNew = slx + wx * newL
        let sl2New = sl2 + w * newL * newL
        let take = mask(slx, greaterThan: .zero) & mask(newL, notEqualTo: li) & mask(sl2New, greaterThan: .zero)
            & mask(slxNew * slxNew * suml2, greaterThan: sumlx * sumlx * sl2New)
        L = blend(take, newL, li)
        sumlx = blend(take, slxNew, sumlx)
        suml2 = blend(take, sl2New, suml2)
        changed |= take
    }
}
