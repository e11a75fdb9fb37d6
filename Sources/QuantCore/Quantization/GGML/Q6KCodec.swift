/// Q6_K: super-blocks of 256 with 16 sub-blocks of 16, 6-bit values, int8 scales (210 bytes).
/// ggml: `quantize_row_q6_K_ref`, `dequantize_row_q6_K`.
enum Q6KCodec {
    static let blockElements = 256
    static let blockBytes = 210

    /// `scalarOnly` forces the direct transcription of ggml's code (tests compare the two paths).
    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer, scalarOnly: Bool = false) {
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256 + 16) { bytes in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { floats in
              withUnsafeTemporaryAllocation(of: KQuantLanes.V.self, capacity: 16 * 6) { lanes in
                for b in 0..<blocks {
                    let xb = x + blockElements * b, yb = y + blockBytes * b
                    if scalarOnly || !(KQuantLanes.isTame(xb, 256)
                        && encodeBlockLanes(xb, yb, L: bytes.baseAddress!, sc: bytes.baseAddress! + 256,
                                            scales: floats.baseAddress!, lanes: lanes.baseAddress!)) {
                        encodeBlock(xb, yb, L: bytes.baseAddress!, sc: bytes.baseAddress! + 256, scales: floats.baseAddress!)
                    }
                }
              }
            }
        }
    }

    /// The 16 sub-blocks in the lanes of two groups of SIMD8 vectors (see `KQuantLanes`); false sends the block to the scalar path.
    @inline(__always)
    static func encodeBlockLanes(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, L: UnsafeMutablePointer<Int8>,
        sc: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>, lanes: UnsafeMutablePointer<KQuantLanes.V>
    ) -> Bool {
        typealias V = KQuantLanes.V
        let width = KQuantLanes.width, groups = 16 / width
        let X = lanes, Lv = X + 16 * groups
        for g in 0..<groups {
            let Xg = X + 16 * g
            for i in 0..<16 {
                var v = V.zero
                for j in 0..<width { v[j] = x[16 * (width * g + j) + i] }
                Xg[i] = v
            }
            let scaleV = KQuantLanes.makeQX(n: 16, nmax: 32, X: Xg, L: Lv + 16 * g, scratch: Lv + 16 * groups)
            for j in 0..<width { scales[width * g + j] = scaleV[j] }
        }
        var maxScale: Float = 0
        var maxAbsScale: Float = 0
        for ib in 0..<16 where abs(scales[ib]) > maxAbsScale {
            maxAbsScale = abs(scales[ib])
            maxScale = scales[ib]
        }
        if maxAbsScale < 1e-15 {
            for i in 0..<blockBytes { y.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
            return true
        }
        let iscale = -128 / maxScale
        let d = Half.round(1 / iscale)
        for ib in 0..<16 {
            sc[ib] = Int8(truncatingIfNeeded: Swift.min(127, GGMLBlockCodec.nearestInt(iscale * scales[ib])))
        }
        let lo = V(repeating: -32), hi = V(repeating: 31), shift = V(repeating: 32)
        var worst = V.zero
        for g in 0..<groups {
            var dl = V.zero
            for j in 0..<width { dl[j] = d * Float(sc[width * g + j]) }
            for i in 0..<16 {
                Lv[16 * g + i] = KQuantLanes.finalLevel(X[16 * g + i] / dl, dl: dl, previous: Lv[16 * g + i], lo: lo, hi: hi,
                                                        shift: shift, worst: &worst)
            }
        }
        if KQuantLanes.outOfRange(worst) { return false }
        storeHalf(1 / iscale, y, 208)
        for ib in 0..<16 { y.storeBytes(of: sc[ib], toByteOffset: 192 + ib, as: Int8.self) }
        for g in 0..<groups {
            for i in 0..<16 {
                let u = unsafeBitCast(Lv[16 * g + i] + 8_388_608, to: KQuantLanes.U.self)
                for j in 0..<width { L[16 * (width * g + j) + i] = Int8(truncatingIfNeeded: u[j]) }
            }
        }
        pack(L, y)
        return true
    }

    @inline(__always)
    static func pack(_ L: UnsafeMutablePointer<Int8>, _ y: UnsafeMutableRawPointer) {
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

    /// Direct transcription of ggml's scalar code (used for blocks with non-finite or huge values).
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
