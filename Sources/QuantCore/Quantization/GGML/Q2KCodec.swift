/// Q2_K: super-blocks of 256 with 16 sub-blocks of 16, 2-bit values, 4-bit scales and mins (84 bytes).
/// ggml: `quantize_row_q2_K_ref`, `dequantize_row_q2_K`.
enum Q2KCodec {
    static let blockElements = 256
    static let blockBytes = 84

    /// `scalarOnly` forces the direct transcription of ggml's code (tests compare the two paths).
    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer, scalarOnly: Bool = false) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 + 16 + 16) { bytes in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 * 3) { floats in
              withUnsafeTemporaryAllocation(of: KQuantLanes.V.self, capacity: 16 * 7) { lanes in
                let L = bytes.baseAddress!
                let laux = L + 256
                let sc = L + 272
                let weights = floats.baseAddress!
                let scales = weights + 16
                let mins = weights + 32
                for b in 0..<blocks {
                    let xb = x + blockElements * b, yb = y + blockBytes * b
                    if scalarOnly || !(KQuantLanes.isTame(xb, 256)
                        && encodeBlockLanes(xb, yb, L: L, sc: sc, scales: scales, mins: mins, lanes: lanes.baseAddress!)) {
                        encodeBlock(xb, yb, L: L, laux: laux, sc: sc, weights: weights, scales: scales, mins: mins)
                    }
                }
              }
            }
        }
    }

    /// The 16 sub-blocks in the lanes of two groups of SIMD8 vectors (see `KQuantLanes`); false sends the block to the scalar path.
    @inline(__always)
    static func encodeBlockLanes(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, L: UnsafeMutablePointer<UInt8>, sc: UnsafeMutablePointer<UInt8>,
        scales: UnsafeMutablePointer<Float>, mins: UnsafeMutablePointer<Float>, lanes: UnsafeMutablePointer<KQuantLanes.V>
    ) -> Bool {
        typealias V = KQuantLanes.V
        let width = KQuantLanes.width, groups = 16 / width
        let X = lanes, Lbest = X + 16 * groups, W = Lbest + 16 * groups, Laux = W + 16
        for g in 0..<groups {
            let Xg = X + 16 * g
            for i in 0..<16 {
                var v = V.zero
                for j in 0..<width { v[j] = x[16 * (width * g + j) + i] }
                Xg[i] = v
                W[i] = KQuantLanes.abs(v)
            }
            let (scaleV, minV) = KQuantLanes.makeQKX2(
                n: 16, nmax: 3, X: Xg, W: W, Lbest: Lbest + 16 * g, Laux: Laux, rmin: -0.5, rdelta: 0.1, nstep: 15, useMad: true)
            for j in 0..<width {
                scales[width * g + j] = scaleV[j]
                mins[width * g + j] = minV[j]
            }
        }
        var maxScale: Float = 0
        var maxMin: Float = 0
        for j in 0..<16 {
            if scales[j] > maxScale { maxScale = scales[j] }
            if mins[j] > maxMin { maxMin = mins[j] }
        }
        var d: Float = 0
        if maxScale > 0 {
            let iscale = 15 / maxScale
            for j in 0..<16 { sc[j] = UInt8(truncatingIfNeeded: GGMLBlockCodec.nearestInt(iscale * scales[j])) }
            d = Half.round(maxScale / 15)
        } else {
            for j in 0..<16 { sc[j] = 0 }
        }
        var dmin: Float = 0
        if maxMin > 0 {
            let iscale = 15 / maxMin
            for j in 0..<16 { sc[j] |= UInt8(truncatingIfNeeded: GGMLBlockCodec.nearestInt(iscale * mins[j]) << 4) }
            dmin = Half.round(maxMin / 15)
        }
        let lo = V.zero, hi = V(repeating: 3)
        var worst = V.zero
        for g in 0..<groups {
            var dl = V.zero, dm = V.zero
            for j in 0..<width {
                dl[j] = d * Float(sc[width * g + j] & 0xf)
                dm[j] = dmin * Float(sc[width * g + j] >> 4)
            }
            for i in 0..<16 {
                Lbest[16 * g + i] = KQuantLanes.finalLevel((X[16 * g + i] + dm) / dl, dl: dl, previous: Lbest[16 * g + i],
                                                           lo: lo, hi: hi, shift: .zero, worst: &worst)
            }
        }
        if KQuantLanes.outOfRange(worst) { return false }
        storeHalf(maxScale > 0 ? maxScale / 15 : 0, y, 80)
        storeHalf(maxMin > 0 ? maxMin / 15 : 0, y, 82)
        for g in 0..<groups {
            for i in 0..<16 {
                let u = unsafeBitCast(Lbest[16 * g + i] + 8_388_608, to: KQuantLanes.U.self)
                for j in 0..<width { L[16 * (width * g + j) + i] = UInt8(truncatingIfNeeded: u[j]) }
            }
        }
        for j in 0..<16 { y.storeBytes(of: sc[j], toByteOffset: j, as: UInt8.self) }
        for h in 0..<2 {
            let base = 128 * h
            for l in 0..<32 {
                let q = L[base + l] | (L[base + l + 32] << 2) | (L[base + l + 64] << 4) | (L[base + l + 96] << 6)
                y.storeBytes(of: q, toByteOffset: 16 + 32 * h + l, as: UInt8.self)
            }
        }
        return true
    }

    /// Direct transcription of ggml's scalar code (used for blocks with non-finite or huge values).
    @inline(__always)
    static func encodeBlock(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, L: UnsafeMutablePointer<UInt8>, laux: UnsafeMutablePointer<UInt8>,
        sc: UnsafeMutablePointer<UInt8>, weights: UnsafeMutablePointer<Float>, scales: UnsafeMutablePointer<Float>,
        mins: UnsafeMutablePointer<Float>
    ) {
        var maxScale: Float = 0
        var maxMin: Float = 0
        for j in 0..<16 {
            for l in 0..<16 { weights[l] = abs(x[16 * j + l]) }
            scales[j] = KQuantSearch.makeQKX2(
                n: 16, nmax: 3, x: x + 16 * j, weights: weights, L: L + 16 * j, theMin: &mins[j], Laux: laux,
                rmin: -0.5, rdelta: 0.1, nstep: 15, useMad: true)
            if scales[j] > maxScale { maxScale = scales[j] }
            if mins[j] > maxMin { maxMin = mins[j] }
        }
        let d: Float
        if maxScale > 0 {
            let iscale = 15 / maxScale
            for j in 0..<16 { sc[j] = UInt8(truncatingIfNeeded: GGMLBlockCodec.nearestInt(iscale * scales[j])) }
            d = storeHalf(maxScale / 15, y, 80)
        } else {
            for j in 0..<16 { sc[j] = 0 }
            d = storeHalf(0, y, 80)
        }
        let dmin: Float
        if maxMin > 0 {
            let iscale = 15 / maxMin
            for j in 0..<16 { sc[j] |= UInt8(truncatingIfNeeded: GGMLBlockCodec.nearestInt(iscale * mins[j]) << 4) }
            dmin = storeHalf(maxMin / 15, y, 82)
        } else {
            dmin = storeHalf(0, y, 82)
        }
        for j in 0..<16 {
            let dl = d * Float(sc[j] & 0xf)
            if dl == 0 { continue }
            let dm = dmin * Float(sc[j] >> 4)
            for ii in 0..<16 {
                let l = GGMLBlockCodec.nearestInt((x[16 * j + ii] + dm) / dl)
                L[16 * j + ii] = UInt8(truncatingIfNeeded: Swift.max(0, Swift.min(3, l)))
            }
        }
        for j in 0..<16 { y.storeBytes(of: sc[j], toByteOffset: j, as: UInt8.self) }
        for h in 0..<2 {
            let base = 128 * h
            for l in 0..<32 {
                let q = L[base + l] | (L[base + l + 32] << 2) | (L[base + l + 64] << 4) | (L[base + l + 96] << 6)
                y.storeBytes(of: q, toByteOffset: 16 + 32 * h + l, as: UInt8.self)
            }
        }
    }

    static func decode(_ y: UnsafeRawPointer, blocks: Int, into x: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let yb = y + blockBytes * b
            var out = x + blockElements * b
            let d = loadHalf(yb, 80)
            let dmin = loadHalf(yb, 82)
            var s = 0
            for h in 0..<2 {
                let q = yb + 16 + 32 * h
                for j in 0..<4 {
                    let shift = UInt8(2 * j)
                    for k in 0..<2 {
                        let sc = yb.load(fromByteOffset: s, as: UInt8.self)
                        s += 1
                        let dl = d * Float(sc & 0xf)
                        let ml = dmin * Float(sc >> 4)
                        for l in 0..<16 {
                            let v = (q.load(fromByteOffset: 16 * k + l, as: UInt8.self) >> shift) & 3
                            out[l] = dl * Float(v) - ml
                        }
                        out += 16
                    }
                }
            }
        }
    }
}
