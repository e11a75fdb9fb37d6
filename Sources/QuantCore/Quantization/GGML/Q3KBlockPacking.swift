/// The end of ggml's `quantize_row_q3_K_ref` on whole vectors: the super-block scale (the sub-block scale of largest
/// magnitude), the 6-bit sub-block scales and the bit layout of the 3-bit levels. Lane loops rather than the standard
/// library's conversions, which are not always inlined (one call per vector).
enum Q3KBlockPacking {
    typealias V = KQuantLanes.V
    typealias U = KQuantLanes.U
    typealias B = SIMD16<UInt8>

    /// ggml's max_scale: the first of the 16 sub-block scales (`s0`: 0…7, `s1`: 8…15, also at `scales`) of largest
    /// magnitude, and whether all 16 are finite. NaN and infinite scales take ggml's loop (`scale > amax` skips NaN).
    @_transparent
    static func largest(_ s0: V, _ s1: V, _ scales: UnsafePointer<Float>) -> (scale: Float, finite: Bool) {
        let a0 = KQuantLanes.abs(s0), a1 = KQuantLanes.abs(s1)
        let infinity = V(repeating: .infinity)
        if KQuantLanes.anySet(~(KQuantLanes.mask(infinity, greaterThan: a0) & KQuantLanes.mask(infinity, greaterThan: a1))) {
            var maxScale: Float = 0, amax: Float = 0
            for j in 0..<16 where abs(scales[j]) > amax {
                amax = abs(scales[j])
                maxScale = scales[j]
            }
            return (maxScale, false)
        }
        let (l, r) = unsafeBitCast(KQuantLanes.vmax(a0, a1), to: (SIMD4<Float>, SIMD4<Float>).self)
        var m = l
        for i in 0..<4 { m[i] = r[i] > l[i] ? r[i] : l[i] }
        let m01 = m[1] > m[0] ? m[1] : m[0], m23 = m[3] > m[2] ? m[3] : m[2]
        let amax = m23 > m01 ? m23 : m01
        if amax == 0 { return (0, true) }
        // The first sub-block whose |scale| is the largest: ggml replaces max_scale only on a strictly larger one.
        let a = V(repeating: amax)
        @_transparent func equal(_ v: V) -> U { unsafeBitCast(KQuantLanes.select(v, equalTo: a, KQuantLanes.allOnes, .zero), to: U.self) }
        let first = KQuantLanes.laneBits(equal(a0)) | KQuantLanes.laneBits(equal(a1)) &<< 8
        return (scales[first.trailingZeroBitCount], true)
    }

    /// ggml's 6-bit scales l = clamp(nearest_int(iscale·scale), −32, 31) into `ls`, and l + 32 packed as ggml packs them
    /// into the 12 bytes at `q`. For finite scales and iscale = −32/max_scale only: then |iscale·scale| ≤ 32·(1 + 2⁻²³),
    /// where the float rounding is ggml's integer one and the int8_t conversion changes nothing.
    @_transparent
    static func packScales(_ s0: V, _ s1: V, iscale: Float, ls: UnsafeMutablePointer<Float>, _ q: UnsafeMutableRawPointer) {
        let iv = V(repeating: iscale), lo = V(repeating: -32), hi = V(repeating: 31)
        let l0 = KQuantLanes.clamp(KQuantLanes.nearest(iv * s0), lo, hi)
        let l1 = KQuantLanes.clamp(KQuantLanes.nearest(iv * s1), lo, hi)
        UnsafeMutableRawPointer(ls).storeBytes(of: l0, as: V.self)
        UnsafeMutableRawPointer(ls + 8).storeBytes(of: l1, as: V.self)
        // l + 32 (0…63) as the low bits of 2²³ + l + 32.
        let magic = V(repeating: 8_388_640)
        let u0 = unsafeBitCast(l0 + magic, to: U.self) & 63, u1 = unsafeBitCast(l1 + magic, to: U.self) & 63
        // Byte j < 8: the low 4 bits of scales j and j + 8. Byte 8 + m: the high 2 bits of scales m, m + 4, m + 8, m + 12.
        let low = (u0 & 15) | ((u1 & 15) &<< 4)
        let (t0, t1) = unsafeBitCast((u0 &>> 4) | ((u1 &>> 4) &<< 4), to: (SIMD4<UInt32>, SIMD4<UInt32>).self)
        let high = t0 | (t1 &<< 2)
        var b = B()
        for i in 0..<8 { b[i] = UInt8(truncatingIfNeeded: low[i]) }
        for i in 0..<4 { b[8 + i] = UInt8(truncatingIfNeeded: high[i]) }
        let (first, second) = unsafeBitCast(b, to: (UInt64, UInt64).self)
        q.storeBytes(of: first, as: UInt64.self)
        q.storeBytes(of: UInt32(truncatingIfNeeded: second), toByteOffset: 8, as: UInt32.self)
    }

    /// ggml's code for the 6-bit scales, for any scales and iscale (see `packScales`).
    @inline(never)
    static func packScalesScalar(_ scales: UnsafePointer<Float>, iscale: Float, ls: UnsafeMutablePointer<Float>, _ q: UnsafeMutableRawPointer) {
        var low: UInt64 = 0, high: UInt32 = 0
        for j in 0..<16 {
            let l8 = Int32(Int8(truncatingIfNeeded: GGMLBlockCodec.nearestInt(iscale * scales[j])))
            let l = Swift.max(-32, Swift.min(31, l8))
            ls[j] = Float(l)
            let u = UInt64(truncatingIfNeeded: l + 32)
            low |= (u & 0xf) &<< UInt64(8 * (j % 8) + 4 * (j / 8))
            high |= UInt32(truncatingIfNeeded: u >> 4) &<< UInt32(8 * (j % 4) + 2 * (j / 4))
        }
        q.storeBytes(of: low.littleEndian, as: UInt64.self)
        q.storeBytes(of: high.littleEndian, toByteOffset: 8, as: UInt32.self)
    }

    /// The low bytes of the bit patterns of `a` then `b` (levels kept as the low bits of floats).
    @_transparent
    static func lowBytes(_ a: V, _ b: V) -> B {
        let ua = unsafeBitCast(a, to: U.self), ub = unsafeBitCast(b, to: U.self)
        var r = B()
        for i in 0..<8 {
            r[i] = UInt8(truncatingIfNeeded: ua[i])
            r[8 + i] = UInt8(truncatingIfNeeded: ub[i])
        }
        return r
    }

    /// Packs 256 levels 0…7 (`levels[j]`: sub-block j) as ggml does: hmask byte m holds bit 2 of levels m, 32 + m, …,
    /// 224 + m; quant byte 32·h + m the low two bits of levels 128·h + m, +32, +64, +96.
    @_transparent
    static func packLevels(_ levels: UnsafePointer<B>, _ y: UnsafeMutableRawPointer) {
        for half in 0..<2 {
            var h = B()
            for bit in 0..<8 { h |= ((levels[2 * bit + half] &>> 2) & 1) &<< UInt8(bit) }
            y.storeBytes(of: h, toByteOffset: 16 * half, as: B.self)
        }
        for row in 0..<2 {
            for half in 0..<2 {
                var q = B()
                for k in 0..<4 { q |= (levels[8 * row + 2 * k + half] & 3) &<< UInt8(2 * k) }
                y.storeBytes(of: q, toByteOffset: 32 + 32 * row + 16 * half, as: B.self)
            }
        }
    }
}
