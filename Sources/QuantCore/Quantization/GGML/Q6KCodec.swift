/// Q6_K: super-blocks of 256 with 16 sub-blocks of 16, 6-bit values, int8 scales (210 bytes).
/// ggml: `quantize_row_q6_K_ref`, `dequantize_row_q6_K`.
enum Q6KCodec {
    static let blockElements = 256
    static let blockBytes = 210

    /// `scalarOnly` forces the direct transcription of ggml's code (tests compare the two paths).
    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer, scalarOnly: Bool = false) {
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256 + 16) { bytes in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { floats in
              withUnsafeTemporaryAllocation(of: KQuantLanes.V.self, capacity: 32 * 3 + 19) { lanes in
                for b in 0..<blocks {
                    let xb = x + blockElements * b, yb = y + blockBytes * b
                    if scalarOnly || !KQuantLanes.isTame(xb, 256) {
                        encodeBlock(xb, yb, L: bytes.baseAddress!, sc: bytes.baseAddress! + 256, scales: floats.baseAddress!)
                    } else {
                        encodeBlockLanes(xb, yb, sc: bytes.baseAddress! + 256, scales: floats.baseAddress!, lanes: lanes.baseAddress!)
                    }
                }
              }
            }
        }
    }

    /// The 16 sub-blocks' searches in lanes (see `KQuantLanes.makeQX`; the caller checks `isTame`), then the final levels
    /// and the packing on whole vectors in natural order.
    @inline(__always)
    static func encodeBlockLanes(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, sc: UnsafeMutablePointer<Int8>,
        scales: UnsafeMutablePointer<Float>, lanes: UnsafeMutablePointer<KQuantLanes.V>
    ) {
        typealias V = KQuantLanes.V
        typealias U = KQuantLanes.U
        let X = lanes, Lv = X + 32, Lu = Lv + 32
        KQuantLanes.transpose16(x, into: X)
        for g in 0..<2 {
            let scaleV = KQuantLanes.makeQX(n: 16, nmax: 32, X: X + 16 * g, levels: Lv + 2 * g, scratch: Lu)
            for j in 0..<8 { scales[8 * g + j] = scaleV[j] }
        }
        var maxScale: Float = 0
        var maxAbsScale: Float = 0
        for ib in 0..<16 where abs(scales[ib]) > maxAbsScale {
            maxAbsScale = abs(scales[ib])
            maxScale = scales[ib]
        }
        if maxAbsScale < 1e-15 {
            for i in 0..<blockBytes { y.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
            return
        }
        let iscale = -128 / maxScale
        let d = storeHalf(1 / iscale, y, 208)
        for ib in 0..<16 {
            let l = GGMLBlockCodec.nearestInt(iscale * scales[ib])
            sc[ib] = Int8(truncatingIfNeeded: l < 127 ? l : 127)
        }
        for ib in 0..<16 { y.storeBytes(of: sc[ib], toByteOffset: 192 + ib, as: Int8.self) }
        // Final levels 0…63 in natural order, as the low bits of float bit patterns; a sub-block whose scale is 0 keeps
        // the search's levels (rare, so the search does not write them).
        let lo = V(repeating: -32), hi = V(repeating: 31), shift = V(repeating: 32 + 8_388_608)
        for j in 0..<16 {
            let dl = d * Float(sc[j])
            if dl == 0 {
                // The search's levels, recomputed from its winning iscale (see `KQuantLanes.makeQX`).
                let iscale = V(repeating: Lv[2 * (j / 8)][j % 8]), levelShift = V(repeating: Lv[2 * (j / 8) + 1][j % 8] + 8_388_608)
                for h in 0..<2 {
                    let xv = UnsafeRawPointer(x).loadUnaligned(fromByteOffset: 64 * j + 32 * h, as: V.self)
                    Lu[2 * j + h] = KQuantLanes.clamp(KQuantLanes.nearest(iscale * xv), lo, hi) + levelShift
                }
                continue
            }
            let dlv = V(repeating: dl)
            for h in 0..<2 {
                let xv = UnsafeRawPointer(x).loadUnaligned(fromByteOffset: 64 * j + 32 * h, as: V.self)
                Lu[2 * j + h] = KQuantLanes.clamp(KQuantLanes.nearestExact(xv / dlv), lo, hi) + shift
            }
        }
        // ql byte 64·h + m holds the low four bits of levels 128·h + m and +64, byte 64·h + 32 + m those of +32 and +96;
        // qh byte 32·h + m the high two bits of all four.
        for h in 0..<2 {
            for c in 0..<4 {
                @_transparent func level(_ k: Int) -> U { unsafeBitCast(Lu[16 * h + 4 * k + c], to: U.self) & 63 }
                let a = level(0), b = level(1), e = level(2), f = level(3)
                let q0 = (a & 0xf) | (e & 0xf) &<< 4, q1 = (b & 0xf) | (f & 0xf) &<< 4
                let qh = a &>> 4 | (b &>> 4) &<< 2 | (e &>> 4) &<< 4 | (f &>> 4) &<< 6
                y.storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: q0), toByteOffset: 64 * h + 8 * c, as: SIMD8<UInt8>.self)
                y.storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: q1), toByteOffset: 64 * h + 32 + 8 * c, as: SIMD8<UInt8>.self)
                y.storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: qh), toByteOffset: 128 + 32 * h + 8 * c, as: SIMD8<UInt8>.self)
            }
        }
    }

    /// Direct transcription of ggml's scalar code (used for blocks with non-finite or huge values, where the searches' float rounding is not exact).
    @inline(__always)
    static func encodeBlock(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, L: UnsafeMutablePointer<Int8>,
        sc: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>
    ) {
        var maxScale: Float = 0
        var maxAbsScale: Float = 0
        for ib in 0..<16 {
            let scale = KQuantSearch.makeQX(n: 16, nmax: 32, x: x + 16 * ib, L: L + 16 * ib)
            scales[ib] = scale
            if abs(scale) > maxAbsScale {
                maxAbsScale = abs(scale)
                maxScale = scale
            }
        }
        if maxAbsScale < 1e-15 {
            for i in 0..<blockBytes { y.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
            return
        }
        let iscale = -128 / maxScale
        let d = storeHalf(1 / iscale, y, 208)
        for ib in 0..<16 {
            sc[ib] = Int8(truncatingIfNeeded: Swift.min(127, GGMLBlockCodec.nearestInt(iscale * scales[ib])))
            y.storeBytes(of: sc[ib], toByteOffset: 192 + ib, as: Int8.self)
        }
        for j in 0..<16 {
            let dl = d * Float(sc[j])
            if dl == 0 { continue }
            for ii in 0..<16 {
                let l = GGMLBlockCodec.nearestInt(x[16 * j + ii] / dl)
                L[16 * j + ii] = Int8(truncatingIfNeeded: Swift.max(-32, Swift.min(31, l)) + 32)
            }
        }
        for h in 0..<2 {
            let base = 128 * h
            for l in 0..<32 {
                let a = UInt8(bitPattern: L[base + l]), b = UInt8(bitPattern: L[base + l + 32])
                let c = UInt8(bitPattern: L[base + l + 64]), e = UInt8(bitPattern: L[base + l + 96])
                y.storeBytes(of: (a & 0xf) | ((c & 0xf) << 4), toByteOffset: 64 * h + l, as: UInt8.self)
                y.storeBytes(of: (b & 0xf) | ((e & 0xf) << 4), toByteOffset: 64 * h + 32 + l, as: UInt8.self)
                let qh = (a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6)
                y.storeBytes(of: qh, toByteOffset: 128 + 32 * h + l, as: UInt8.self)
            }
        }
    }

    static func decode(_ y: UnsafeRawPointer, blocks: Int, into x: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let yb = y + blockBytes * b
            let out = x + blockElements * b
            let d = loadHalf(yb, 208)
            for h in 0..<2 {
                let ql = yb + 64 * h, qh = yb + 128 + 32 * h
                let o = out + 128 * h
                for l in 0..<32 {
                    let isc = 192 + 8 * h + l / 16
                    let lo0 = ql.load(fromByteOffset: l, as: UInt8.self), lo1 = ql.load(fromByteOffset: l + 32, as: UInt8.self)
                    let hi = qh.load(fromByteOffset: l, as: UInt8.self)
                    let q1 = Int32((lo0 & 0xf) | ((hi & 3) << 4)) - 32
                    let q2 = Int32((lo1 & 0xf) | (((hi >> 2) & 3) << 4)) - 32
                    let q3 = Int32((lo0 >> 4) | (((hi >> 4) & 3) << 4)) - 32
                    let q4 = Int32((lo1 >> 4) | (((hi >> 6) & 3) << 4)) - 32
                    o[l] = d * Float(yb.load(fromByteOffset: isc, as: Int8.self)) * Float(q1)
                    o[l + 32] = d * Float(yb.load(fromByteOffset: isc + 2, as: Int8.self)) * Float(q2)
                    o[l + 64] = d * Float(yb.load(fromByteOffset: isc + 4, as: Int8.self)) * Float(q3)
                    o[l + 96] = d * Float(yb.load(fromByteOffset: isc + 6, as: Int8.self)) * Float(q4)
                }
            }
        }
    }
}
