/// The part of `quantize_row_q4_K_ref` and `quantize_row_q5_K_ref` that the two share: per-sub-block scale and min search,
/// 6-bit packing of scales and mins, fp16 super-scales, and the final levels.
enum KQuantScaleMinQuantizer {
    /// Per-call working memory (no allocation per block).
    struct Scratch {
        var L: UnsafeMutablePointer<UInt8>       // 256 levels
        var laux: UnsafeMutablePointer<UInt8>    // 32
        var weights: UnsafeMutablePointer<Float> // 32
        var scales: UnsafeMutablePointer<Float>  // 8
        var mins: UnsafeMutablePointer<Float>    // 8
        var packed: UnsafeMutablePointer<UInt8>  // 12
        var lanes: UnsafeMutablePointer<SIMD8<Float>> // 4 × 32 × 8 floats: X, W, Lbest, Laux (sub-blocks side by side)
    }

    static func withScratch<R>(_ body: (Scratch) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 + 32 + 12) { bytes in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 48) { floats in
                withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 128) { lanes in
                    let b = bytes.baseAddress!, f = floats.baseAddress!
                    return body(Scratch(L: b, laux: b + 256, weights: f, scales: f + 32, mins: f + 40, packed: b + 288,
                                        lanes: lanes.baseAddress!))
                }
            }
        }
    }

    /// Quantises one super-block: writes d (offset 0), dmin (2) and the 12 scale bytes (4…15) to `header`, levels to `scratch.L`.
    @inline(__always)
    static func quantize(
        _ x: UnsafePointer<Float>, scalarOnly: Bool = false, nmax: Int32, rmin: Float, rdelta: Float, nstep: Int, scratch: Scratch,
        header y: UnsafeMutableRawPointer
    ) {
        if scalarOnly || !(KQuantLanes.isTame(x, 256)
            && quantizeLanes(x, nmax: nmax, rmin: rmin, rdelta: rdelta, nstep: nstep, scratch: scratch, header: y)) {
            quantizeScalar(x, nmax: nmax, rmin: rmin, rdelta: rdelta, nstep: nstep, scratch: scratch, header: y)
        }
    }

    /// The eight sub-blocks in the lanes of SIMD8 vectors. Returns false (having written nothing final) when a
    /// level argument falls outside the range where the float `nearest_int` is exact; the caller then uses the scalar path.
    @inline(__always)
    static func quantizeLanes(
        _ x: UnsafePointer<Float>, nmax: Int32, rmin: Float, rdelta: Float, nstep: Int, scratch: Scratch,
        header y: UnsafeMutableRawPointer
    ) -> Bool {
        typealias V = KQuantLanes.V
        let width = KQuantLanes.width, groups = 8 / width
        let lanes = UnsafeMutableRawPointer(scratch.lanes).assumingMemoryBound(to: V.self)
        let X = lanes, W = X + 32 * groups, Lbest = W + 32 * groups, Laux = Lbest + 32 * groups
        let fnmax = Float(nmax)
        let scales = scratch.scales, mins = scratch.mins, s = scratch.packed
        for g in 0..<groups {
            let Xg = X + 32 * g, Wg = W + 32 * g
            var sumX2 = V.zero
            for i in 0..<32 {
                var v = V.zero
                for j in 0..<width { v[j] = x[32 * (width * g + j) + i] }
                Xg[i] = v
                sumX2 += v * v
            }
            var avX = V.zero
            for j in 0..<width { avX[j] = (sumX2[j] / 32).squareRoot() }
            for i in 0..<32 { Wg[i] = avX + KQuantLanes.abs(Xg[i]) }
            let (scaleV, minV) = KQuantLanes.makeQKX2(
                n: 32, nmax: fnmax, X: Xg, W: Wg, Lbest: Lbest + 32 * g, Laux: Laux, rmin: rmin, rdelta: rdelta,
                nstep: nstep, useMad: false)
            for j in 0..<width {
                scales[width * g + j] = scaleV[j]
                mins[width * g + j] = minV[j]
            }
        }
        var maxScale: Float = 0
        var maxMin: Float = 0
        for j in 0..<8 {
            if scales[j] > maxScale { maxScale = scales[j] }
            if mins[j] > maxMin { maxMin = mins[j] }
        }
        let invScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let invMin: Float = maxMin > 0 ? 63 / maxMin : 0
        for j in 0..<8 {
            let ls = Swift.min(63, UInt8(truncatingIfNeeded: GGMLBlockCodec.nearestInt(invScale * scales[j])))
            let lm = Swift.min(63, UInt8(truncatingIfNeeded: GGMLBlockCodec.nearestInt(invMin * mins[j])))
            KQuantScales.pack(j, ls: ls, lm: lm, into: s)
        }
        let d = Half.round(maxScale / 63)
        let dmin = Half.round(maxMin / 63)
        let hi = V(repeating: fnmax)
        var worst = V.zero
        for g in 0..<groups {
            var dl = V.zero, dm = V.zero
            for j in 0..<width {
                let (sc, m) = KQuantScales.unpack(width * g + j, UnsafeRawPointer(s))
                dl[j] = d * Float(sc)
                dm[j] = dmin * Float(m)
            }
            for i in 0..<32 {
                Lbest[32 * g + i] = KQuantLanes.finalLevel((X[32 * g + i] + dm) / dl, dl: dl, previous: Lbest[32 * g + i],
                                                           lo: .zero, hi: hi, shift: .zero, worst: &worst)
            }
        }
        if KQuantLanes.outOfRange(worst) { return false }
        for j in 0..<12 { y.storeBytes(of: s[j], toByteOffset: 4 + j, as: UInt8.self) }
        storeHalf(maxScale / 63, y, 0)
        storeHalf(maxMin / 63, y, 2)
        let L = scratch.L
        for g in 0..<groups {
            for i in 0..<32 {
                let u = unsafeBitCast(Lbest[32 * g + i] + 8_388_608, to: KQuantLanes.U.self)
                for j in 0..<width { L[32 * (width * g + j) + i] = UInt8(truncatingIfNeeded: u[j]) }
            }
        }
        return true
    }

    /// Direct transcription of ggml's scalar code (used for blocks with non-finite or huge values).
    static func quantizeScalar(
        _ x: UnsafePointer<Float>, nmax: Int32, rmin: Float, rdelta: Float, nstep: Int, scratch: Scratch,
        header y: UnsafeMutableRawPointer
    ) {
        let L = scratch.L, weights = scratch.weights, scales = scratch.scales, mins = scratch.mins, s = scratch.packed
        var maxScale: Float = 0
        var maxMin: Float = 0
        for j in 0..<8 {
            let xs = x + 32 * j
            var sumX2: Float = 0
            for l in 0..<32 { sumX2 += xs[l] * xs[l] }
            let avX = (sumX2 / 32).squareRoot()
            for l in 0..<32 { weights[l] = avX + abs(xs[l]) }
            scales[j] = KQuantSearch.makeQKX2(
                n: 32, nmax: nmax, x: xs, weights: weights, L: L + 32 * j, theMin: &mins[j], Laux: scratch.laux,
                rmin: rmin, rdelta: rdelta, nstep: nstep, useMad: false)
            if scales[j] > maxScale { maxScale = scales[j] }
            if mins[j] > maxMin { maxMin = mins[j] }
        }
        let invScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let invMin: Float = maxMin > 0 ? 63 / maxMin : 0
        for j in 0..<8 {
            let ls = Swift.min(63, UInt8(truncatingIfNeeded: GGMLBlockCodec.nearestInt(invScale * scales[j])))
            let lm = Swift.min(63, UInt8(truncatingIfNeeded: GGMLBlockCodec.nearestInt(invMin * mins[j])))
            KQuantScales.pack(j, ls: ls, lm: lm, into: s)
        }
        for j in 0..<12 { y.storeBytes(of: s[j], toByteOffset: 4 + j, as: UInt8.self) }
        let d = storeHalf(maxScale / 63, y, 0)
        let dmin = storeHalf(maxMin / 63, y, 2)
        for j in 0..<8 {
            let (sc, m) = KQuantScales.unpack(j, UnsafeRawPointer(s))
            let dl = d * Float(sc)
            if dl == 0 { continue }
            let dm = dmin * Float(m)
            for ii in 0..<32 {
                let l = GGMLBlockCodec.nearestInt((x[32 * j + ii] + dm) / dl)
                L[32 * j + ii] = UInt8(truncatingIfNeeded: Swift.max(0, Swift.min(nmax, l)))
            }
        }
    }
}
