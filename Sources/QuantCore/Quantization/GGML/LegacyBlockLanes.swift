/// SIMD helpers for the 32-element formats (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1): one block is two `SIMD16<Float>` halves
/// (elements 0…15 and 16…31, which is also how the 4-bit formats pair their nibbles).
///
/// Every helper reproduces C's scalar result exactly for finite inputs of the magnitudes these quantisers produce
/// (|v| < 2²²); the codecs send other blocks to their scalar code. Written for the default x86-64 target (SSE2):
/// levels become integers through the 1.5·2²³ add (never a SIMD float-to-int conversion, which is a library call
/// per lane there), and bytes are narrowed with `init(truncatingIfNeeded:)`, which compiles to `packuswb`.
enum LegacyBlockLanes {
    typealias V = SIMD16<Float>
    typealias U = SIMD16<UInt32>
    typealias I = SIMD16<Int32>

    /// 1.5·2²³: adding it leaves round-to-nearest-even(v) in the low mantissa bits (|v| < 2²²).
    static let magic: Float = 12_582_912

    /// Elements 16·half … 16·half+15 of the block at `x`.
    @inline(__always)
    static func load(_ x: UnsafePointer<Float>, _ half: Int) -> V {
        UnsafeRawPointer(x).loadUnaligned(fromByteOffset: 64 * half, as: V.self)
    }

    @inline(__always)
    static func bits(_ v: V) -> U { unsafeBitCast(v, to: U.self) }

    // Lane-wise selects are written as loops over lanes of whole vectors: LLVM turns those into `maxps`, `minps`,
    // `cmpps` + integer adds. `replacing(with:where:)` and `SIMDMask` values go through the mask's integer storage
    // on this target and come out as long shuffle sequences.

    @inline(__always)
    static func abs(_ v: V) -> V { unsafeBitCast(bits(v) & 0x7fff_ffff, to: V.self) }

    @inline(__always)
    static func max(_ a: V, _ b: V) -> V {
        var r = a
        for i in 0..<16 { r[i] = b[i] > a[i] ? b[i] : a[i] }
        return r
    }

    @inline(__always)
    static func min(_ a: V, _ b: V) -> V {
        var r = a
        for i in 0..<16 { r[i] = b[i] < a[i] ? b[i] : a[i] }
        return r
    }

    @inline(__always)
    static func hmax(_ v: V) -> Float {
        let lo = v.lowHalf, hi = v.highHalf
        var a = lo
        for i in 0..<8 { a[i] = hi[i] > lo[i] ? hi[i] : lo[i] }
        let alo = a.lowHalf, ahi = a.highHalf
        var b = alo
        for i in 0..<4 { b[i] = ahi[i] > alo[i] ? ahi[i] : alo[i] }
        let c0 = b[0] > b[2] ? b[0] : b[2], c1 = b[1] > b[3] ? b[1] : b[3]
        return c1 > c0 ? c1 : c0
    }

    @inline(__always)
    static func hmin(_ v: V) -> Float {
        let lo = v.lowHalf, hi = v.highHalf
        var a = lo
        for i in 0..<8 { a[i] = hi[i] < lo[i] ? hi[i] : lo[i] }
        let alo = a.lowHalf, ahi = a.highHalf
        var b = alo
        for i in 0..<4 { b[i] = ahi[i] < alo[i] ? ahi[i] : alo[i] }
        let c0 = b[0] < b[2] ? b[0] : b[2], c1 = b[1] < b[3] ? b[1] : b[3]
        return c1 < c0 ? c1 : c0
    }

    /// Whether the sum of all lanes is finite. For values below 1e30 in magnitude (which callers check separately)
    /// that is exactly when no value is NaN or infinite.
    @inline(__always)
    static func sumIsFinite(_ s: V) -> Bool {
        let a = s.lowHalf + s.highHalf
        let b = a.lowHalf + a.highHalf
        return ((b[0] + b[2]) + (b[1] + b[3])).isFinite
    }

    /// The smallest value, the largest value, and whether the block is free of NaN and infinities.
    @_transparent
    static func range(_ v0: V, _ v1: V) -> (min: Float, max: Float, finite: Bool) {
        (hmin(min(v0, v1)), hmax(max(v0, v1)), sumIsFinite(v0 + v1))
    }

    /// Whether a block with range [lo, hi] and scale `d` can take the fast path. Non-finite or huge values, or a
    /// subnormal d (1/d overflows and C's float-to-int conversions of ±inf take over), go to the scalar code.
    @_transparent
    static func isTame(lo: Float, hi: Float, finite: Bool, d: Float) -> Bool {
        finite && hi < 1e30 && lo > -1e30 && (d == 0 || d.isNormal)
    }

    /// `isTame` for the min-offset types (Q4_1, Q5_1), which also send a zero extreme to the scalar code:
    /// it may be -0 or +0 depending on which came first, and the stored min keeps that sign.
    @_transparent
    static func isTameWithMin(min: Float, max: Float, finite: Bool, d: Float) -> Bool {
        isTame(lo: min, hi: max, finite: finite, d: d) && min != 0 && max != 0
    }

    /// min(t, c) lane by lane (no NaN here).
    @inline(__always)
    static func capped(_ t: V, _ c: Float) -> V {
        let cv = V(repeating: c)
        var r = t
        for i in 0..<16 { r[i] = cv[i] < t[i] ? cv[i] : t[i] }
        return r
    }

    /// C's `(int)t` for 0 ≤ t < 2²² (truncation = floor there), as the low bits of each lane.
    @inline(__always)
    static func truncBits(_ t: V) -> U {
        let s = t + magic
        let r = s - magic
        // Where round-to-nearest went up, one less.
        var q = bits(s)
        for i in 0..<16 { q[i] = r[i] > t[i] ? q[i] &- 1 : q[i] }
        return q
    }

    /// C's `roundf` (half away from zero) for |v| < 2²², as the low bits (two's complement) of each lane.
    @inline(__always)
    static func roundAwayBits(_ v: V) -> U {
        let a = abs(v)
        let s = a + magic
        let d = a - (s - magic)
        // A tie that went to the even value below goes one up instead.
        var q = bits(s)
        for i in 0..<16 { q[i] = d[i] == 0.5 ? q[i] &+ 1 : q[i] }
        let sign = unsafeBitCast(unsafeBitCast(v, to: I.self) &>> 31, to: U.self)
        return (q ^ sign) &- sign
    }

    /// Stores the low byte of each lane to 16 consecutive bytes.
    @inline(__always)
    static func storeBytes(_ u: U, _ p: UnsafeMutableRawPointer, _ offset: Int) {
        // A lane loop rather than `init(truncatingIfNeeded:)`, which is not always inlined; both become `packuswb`.
        var b = SIMD16<UInt8>()
        for i in 0..<16 { b[i] = UInt8(truncatingIfNeeded: u[i]) }
        p.storeBytes(of: b, toByteOffset: offset, as: SIMD16<UInt8>.self)
    }

    /// Bit 4 of the levels (0…31, as left by `truncBits`) of elements 0…15 (`q0`) and 16…31 (`q1`) as a 32-bit mask,
    /// element j in bit j. Integer arithmetic only, so that no lane mask is formed.
    @inline(__always)
    static func fifthBits(_ q0: U, _ q1: U) -> UInt32 {
        let w = U(1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 5, 1 << 6, 1 << 7,
                  1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12, 1 << 13, 1 << 14, 1 << 15)
        // Bit 4 moved to the sign bit and spread over the lane: all ones where set.
        let m0 = unsafeBitCast(unsafeBitCast(q0 &<< 27, to: I.self) &>> 31, to: U.self)
        let m1 = unsafeBitCast(unsafeBitCast(q1 &<< 27, to: I.self) &>> 31, to: U.self)
        let a = (m0 & w) | (m1 & (w &<< 16))
        let b = a.lowHalf | a.highHalf
        let c = b.lowHalf | b.highHalf
        return (c[0] | c[1]) | (c[2] | c[3])
    }
}

extension LegacyBlockLanes {
    /// ggml's signed maximum (`if (amax < fabsf(v)) { amax = fabsf(v); max = v; }`) from the block's extremes:
    /// the first value with the largest magnitude. Only when +a and −a both occur does the order matter, and only then
    /// is the block scanned.
    @inline(__always)
    static func signedAbsMax(_ x: UnsafePointer<Float>, lo: Float, hi: Float) -> Float {
        let nlo = -lo
        if hi > nlo { return hi }
        if nlo > hi { return lo }
        if hi == 0 { return 0 }
        for j in 0..<32 where Swift.abs(x[j]) == hi { return x[j] }
        return 0
    }
}
