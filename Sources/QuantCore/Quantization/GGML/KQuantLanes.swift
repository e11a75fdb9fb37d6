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
        var ok = SIMD8<Float>(repeating: 0)
        let raw = UnsafeRawPointer(x)
        for i in stride(from: 0, to: n, by: 8) {
            let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            // NaN and |v| ≥ 1e30 fail `v < 1e30 && v > -1e30`.
            ok.replace(with: 1, where: .!((v .< 1e30) .& (v .> -1e30)))
        }
        return ok.max() == 0
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

    /// Clamps to [0, hi] (hi ≥ 0; -0 becomes +0) with integer operations on the bit patterns, which order
    /// non-negative floats like the floats themselves. Four to six SSE2 instructions, where `replacing(with:where:)` needs ten.
    @inline(__always)
    static func clamp(_ v: V, upTo hiBits: I) -> V {
        var b = unsafeBitCast(v, to: I.self)
        b = b & ~(b &>> 31)
        let d = hiBits &- b
        b = hiBits &- (d & ~(d &>> 31))
        return unsafeBitCast(b, to: V.self)
    }

    @inline(__always)
    static func bits(_ x: Float) -> I { I(repeating: Int32(bitPattern: x.bitPattern)) }

    /// `make_qkx2_quants` in every lane. `Lbest` receives the levels (as floats); returns (scale, the_min) per lane.
    ///
    /// Skips the [0, nmax] clamp of a candidate when it cannot bind: levels stay ≤ nmax while the candidate's numerator
    /// is ≤ nmax + 0.25, and stay ≥ 0 while every lane's min is ≤ its smallest x.
    @inline(__always)
    static func makeQKX2(
        n: Int, nmax: Float, X: UnsafePointer<V>, W: UnsafePointer<V>, Lbest: UnsafeMutablePointer<V>,
        Laux: UnsafeMutablePointer<V>, rmin: Float, rdelta: Float, nstep: Int, useMad: Bool
    ) -> (scale: V, theMin: V) {
        var mn = X[0], mx = X[0]
        var sumW = W[0]
        var sumX = sumW * X[0]
        for i in 1..<n {
            let xi = X[i]
            mn.replace(with: xi, where: xi .< mn)
            mx.replace(with: xi, where: xi .> mx)
            let w = W[i]
            sumW += w
            sumX += w * xi
        }
        let xmin = mn
        mn.replace(with: 0, where: mn .> 0)
        let degenerate = mx .== mn
        let clampedMin = mn
        let hi = bits(nmax)
        var iscale = V(repeating: nmax) / (mx - mn)
        var scale = V(repeating: 1) / iscale
        var bestMad = V.zero
        // Here mn ≤ every x and iscale·(x − mn) ≤ nmax (up to rounding), so no clamp binds.
        for i in 0..<n {
            let l = nearest(iscale * (X[i] - mn))
            Lbest[i] = l
            var diff = scale * l + mn - X[i]
            diff = useMad ? abs(diff) : diff * diff
            bestMad += W[i] * diff
        }
        var lowSafe = true
        if nstep >= 1 {
            for step in 0...nstep {
                let numerator = rmin + rdelta * Float(step) + nmax
                iscale = V(repeating: numerator) / (mx - mn)
                var sumL = V.zero, sumL2 = V.zero, sumXL = V.zero
                if lowSafe && numerator <= nmax + 0.25 {
                    for i in 0..<n {
                        let l = nearest(iscale * (X[i] - mn))
                        Laux[i] = l
                        let wl = W[i] * l
                        sumL += wl
                        sumL2 += wl * l
                        sumXL += wl * X[i]
                    }
                } else {
                    for i in 0..<n {
                        let l = clamp(nearest(iscale * (X[i] - mn)), upTo: hi)
                        Laux[i] = l
                        let wl = W[i] * l
                        sumL += wl
                        sumL2 += wl * l
                        sumXL += wl * X[i]
                    }
                }
                let D = sumW * sumL2 - sumL * sumL
                let positive = D .> 0
                if !any(positive) { continue }
                var thisScale = (sumW * sumXL - sumX * sumL) / D
                var thisMin = (sumL2 * sumX - sumL * sumXL) / D
                let minPositive = thisMin .> 0
                thisMin.replace(with: 0, where: minPositive)
                thisScale.replace(with: sumXL / sumL2, where: minPositive)
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
                let better = positive .& (mad .< bestMad)
                if !any(better) { continue }
                for i in 0..<n { Lbest[i].replace(with: Laux[i], where: better) }
                bestMad.replace(with: mad, where: better)
                scale.replace(with: thisScale, where: better)
                mn.replace(with: thisMin, where: better)
                lowSafe = !any((mn .> xmin) .& .!degenerate)
            }
        }
        var theMin = V.zero - mn
        if any(degenerate) {
            for i in 0..<n { Lbest[i].replace(with: 0, where: degenerate) }
            theMin.replace(with: V.zero - clampedMin, where: degenerate)
            scale.replace(with: 0, where: degenerate)
        }
        return (scale, theMin)
    }

    /// `make_qx_quants` with rmse_type 1 and no importance weights in every lane. `L` receives levels 0…2·nmax−1 as floats.
    @inline(__always)
    static func makeQX(n: Int, nmax: Float, X: UnsafePointer<V>, L: UnsafeMutablePointer<V>) -> V {
        var amax = V.zero, mx = V.zero
        for i in 0..<n {
            let ax = abs(X[i])
            let bigger = ax .> amax
            amax.replace(with: ax, where: bigger)
            mx.replace(with: X[i], where: bigger)
        }
        let allZero = amax .< 1e-15
        let top = bits(2 * nmax - 1)
        var iscale = V(repeating: -nmax) / mx
        var sumlx = V.zero, suml2 = V.zero
        for i in 0..<n {
            let l = clamp(nearest(iscale * X[i]) + nmax, upTo: top) - nmax
            let w = X[i] * X[i]
            sumlx += w * X[i] * l
            suml2 += w * l * l
        }
        var scale = (sumlx / suml2).replacing(with: 0, where: suml2 .== 0)
        var best = scale * sumlx
        var bestIscale = iscale
        for step in -9...9 where step != 0 {
            iscale = V(repeating: -(nmax + 0.1 * Float(step))) / mx
            sumlx = .zero
            suml2 = .zero
            for i in 0..<n {
                let l = clamp(nearest(iscale * X[i]) + nmax, upTo: top) - nmax
                let w = X[i] * X[i]
                sumlx += w * X[i] * l
                suml2 += w * l * l
            }
            let better = (suml2 .> 0) .& (sumlx * sumlx .> best * suml2)
            scale.replace(with: sumlx / suml2, where: better)
            best.replace(with: scale * sumlx, where: better)
            bestIscale.replace(with: iscale, where: better)
        }
        for i in 0..<n {
            L[i] = clamp(nearest(bestIscale * X[i]) + nmax, upTo: top).replacing(with: 0, where: allZero)
        }
        return scale.replacing(with: 0, where: allZero)
    }
}
