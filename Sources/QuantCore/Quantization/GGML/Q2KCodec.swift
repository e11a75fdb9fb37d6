/// Q2_K: super-blocks of 256 with 16 sub-blocks of 16, 2-bit values, 4-bit scales and mins (84 bytes).
/// ggml: `quantize_row_q2_K_ref`, `dequantize_row_q2_K`.
enum Q2KCodec {
    static let blockElements = 256
    static let blockBytes = 84

    /// `scalarOnly` forces the direct transcription of ggml's code (tests compare the two paths).
    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer, scalarOnly: Bool = false) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 + 16 + 16) { bytes in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 * 3) { floats in
              withUnsafeTemporaryAllocation(of: KQuantLanes.V.self, capacity: 32 * 3 + 32) { lanes in
                let L = bytes.baseAddress!
                let laux = L + 256
                let sc = L + 272
                let weights = floats.baseAddress!
                let scales = weights + 16
                let mins = weights + 32
                for b in 0..<blocks {
                    let xb = x + blockElements * b, yb = y + blockBytes * b
                    if scalarOnly || !KQuantLanes.isTame(xb, 256) {
                        encodeBlock(xb, yb, L: L, laux: laux, sc: sc, weights: weights, scales: scales, mins: mins)
                    } else {
                        encodeBlockLanes(xb, yb, sc: sc, scales: scales, mins: mins, lanes: lanes.baseAddress!)
                    }
                }
              }
            }
        }
    }

    /// The 16 sub-blocks' searches in lanes (see `KQuantLanes.makeQKX2`; the caller checks `isTame`), then the final
    /// levels and the packing on whole vectors in natural order.
    @inline(__always)
    static func encodeBlockLanes(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, sc: UnsafeMutablePointer<UInt8>,
        scales: UnsafeMutablePointer<Float>, mins: UnsafeMutablePointer<Float>, lanes: UnsafeMutablePointer<KQuantLanes.V>
    ) {
        typealias V = KQuantLanes.V
        typealias U = KQuantLanes.U
        let X = lanes, Lbest = X + 32, Lu = Lbest + 32, W = Lu + 32, Laux = W + 16
        KQuantLanes.transpose16(x, into: X)
        for g in 0..<2 {
            let Xg = X + 16 * g
            for i in 0..<16 { W[i] = KQuantLanes.abs(Xg[i]) }
            let (scaleV, minV) = KQuantLanes.makeQKX2(
                n: 16, nmax: 3, X: Xg, W: W, Lbest: Lbest + 16 * g, Laux: Laux, rmin: -0.5, rdelta: 0.1, nstep: 15, useMad: true)
            for j in 0..<8 {
                scales[8 * g + j] = scaleV[j]
                mins[8 * g + j] = minV[j]
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
            d = storeHalf(maxScale / 15, y, 80)
        } else {
            for j in 0..<16 { sc[j] = 0 }
            storeHalf(0, y, 80)
        }
        var dmin: Float = 0
        if maxMin > 0 {
            let iscale = 15 / maxMin
            for j in 0..<16 { sc[j] |= UInt8(truncatingIfNeeded: GGMLBlockCodec.nearestInt(iscale * mins[j]) << 4) }
            dmin = storeHalf(maxMin / 15, y, 82)
        } else {
            storeHalf(0, y, 82)
        }
        for j in 0..<16 { y.storeBytes(of: sc[j], toByteOffset: j, as: UInt8.self) }
        // Final levels 0…3 in natural order, as the low bits of float bit patterns; a sub-block whose scale is 0 keeps
        // the search's levels.
        let lo = V.zero, hi = V(repeating: 3), shift = V(repeating: 8_388_608)
        for j in 0..<16 {
            let dl = d * Float(sc[j] & 0xf)
            if dl == 0 {
                for h in 0..<2 {
                    var v = V.zero
                    for i in 0..<8 { v[i] = Lbest[16 * (j / 8) + 8 * h + i][j % 8] }
                    Lu[2 * j + h] = v + shift
                }
                continue
            }
            let dlv = V(repeating: dl), dmv = V(repeating: dmin * Float(sc[j] >> 4))
            for h in 0..<2 {
                let xv = UnsafeRawPointer(x).loadUnaligned(fromByteOffset: 64 * j + 32 * h, as: V.self)
                Lu[2 * j + h] = KQuantLanes.clamp(KQuantLanes.nearestExact((xv + dmv) / dlv), lo, hi) + shift
            }
        }
        // Quant byte 32·h + m holds levels 128·h + m, +32, +64, +96 (two bits each, lowest first).
        for half in 0..<2 {
            for c in 0..<4 {
                var q = U.zero
                for k in 0..<4 { q |= (unsafeBitCast(Lu[16 * half + 4 * k + c], to: U.self) & 3) &<< UInt32(2 * k) }
                y.storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: q), toByteOffset: 16 + 32 * half + 8 * c, as: SIMD8<UInt8>.self)
            }
        }
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
