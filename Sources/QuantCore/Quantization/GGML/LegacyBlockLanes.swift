/// SIMD helpers for the 32-element formats (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1): one block is two `SIMD16<Float>` halves
/// (elements 0…15 and 16…31, which is also how the 4-bit formats pair their nibbles).
///
/// Every helper reproduces C's scalar result exactly for the inputs the fast paths accept; the codecs send other
/// blocks to their scalar code. Written for the default x86-64 target (SSE2): levels become integers through
/// magic-number adds (never a SIMD float-to-int conversion, which is a library call per lane there), and bytes are
/// narrowed by lane loops that compile to `packssdw`/`packuswb`.
enum LegacyBlockLanes {
    typealias V = SIMD16<Float>
    typealias U = SIMD16<UInt32>
    typealias I = SIMD16<Int32>

    /// Blocks per group in the two-pass encoders: a first pass computes each block's scale (a long chain of
    /// dependent reductions and divisions) and a second its levels. Separate passes let the scale chains of
    /// consecutive blocks overlap; the group's input (2 KB) stays in L1 between them.
    static let group = 16

    /// Floats between a block whose scale is computed (its first read) and the block prefetched with it (4 KB):
    /// without the hint the scales waited on memory (Q4_0 1.8, with it 2.1–2.3 G weights/s from memory).
    static let prefetchAhead = 1024

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
}

// MARK: - 4- and 5-bit levels

/// The levels of Q4_0, Q4_1, Q5_0 and Q5_1 are C's `(int)t` of a float `t ≥ 0` computed exactly as ggml computes it.
/// Here each `t` becomes a byte *code* from which the level is read with byte shifts, with no float-to-int conversion
/// and no per-lane correction: code = 64 + h, where h = 2·⌊t⌋ or 2·⌊t⌋ + 1.
///
/// Why: for ¼ ≤ t < 2²¹, the sum t + (2²² − ¼) lies in [2²², 2²³), where floats are ½ apart, so it is rounded
/// (to nearest, ties to even) to 2²² + r with r the multiple of ½ nearest to t − ¼. Writing t = k + f (0 ≤ f < 1),
/// f − ¼ lies in [−¼, ¾): r is k for f ≤ ½ (ties included) and k + ½ above. The sum's bit pattern is 0x4A80_0000 + 2r.
///
/// NaN, infinite or far out-of-range lanes saturate to code 0 or 255 instead; `areCodes` detects them.
/// The callers' `t` never exceeds 33 for finite inputs with a normal (or zero) scale, so codes stay below 192.
extension LegacyBlockLanes {
    typealias B = SIMD16<UInt8>

    /// The code of each lane of `t` (see above).
    @inline(__always)
    static func codes(_ t: V) -> B {
        let s = unsafeBitCast(t + 4_194_303.75, to: I.self) &- (0x4A80_0000 - 64)
        // Clamped to a byte: `packssdw` + `packuswb`, saturating NaN and infinities to 0 or 255.
        var b = B()
        for i in 0..<16 { let v = s[i]; b[i] = UInt8(truncatingIfNeeded: v < 0 ? 0 : v > 255 ? 255 : v) }
        return b
    }

    /// Whether all lanes of `a` and `b` are codes of a finite t ≥ ¼ (64 ≤ code < 192).
    @inline(__always)
    static func areCodes(_ a: B, _ b: B) -> Bool {
        let u = unsafeBitCast((a &- 64) | (b &- 64), to: SIMD2<UInt64>.self)
        return (u[0] | u[1]) & 0x8080_8080_8080_8080 == 0
    }

    /// The code of each lane of `t` without the offset of 64 (code = h), saturated as a signed byte: lanes that are
    /// NaN, infinite or out of range come out as 0x7F or with bit 7 set, so a whole batch of codes is checked with
    /// one lane-wise maximum per block and one compare (`areBatchCodes`).
    @inline(__always)
    static func batchCodes(_ t: V) -> B {
        let s = unsafeBitCast(t + 4_194_303.75, to: I.self) &- 0x4A80_0000
        // `packssdw` + `packsswb`.
        var b = SIMD16<Int8>()
        for i in 0..<16 { let v = s[i]; b[i] = Int8(truncatingIfNeeded: v < -128 ? -128 : v > 127 ? 127 : v) }
        return unsafeBitCast(b, to: B.self)
    }

    /// Whether `seen`, the OR of a batch's `batchCodes`, has only bits that codes up to `limit` may have (`limit` + 1
    /// must be a power of two).
    @inline(__always)
    static func areBatchCodes(_ seen: B, atMost limit: UInt8) -> Bool {
        let invalid = UInt64(~limit) &* 0x0101_0101_0101_0101
        let u = unsafeBitCast(seen, to: SIMD2<UInt64>.self)
        return (u[0] | u[1]) & invalid == 0
    }

    /// `batchCodes` capped at the code of level `level` (C's `MIN(level, (int8_t)t)`).
    @inline(__always)
    static func cappedBatchCodes(_ c: B, level: UInt8) -> B {
        let m = B(repeating: 2 &* level &+ 1)
        var r = c
        for i in 0..<16 { r[i] = m[i] < c[i] ? m[i] : c[i] } // `pminub`
        return r
    }

    /// Codes capped at the code of level `level` (C's `MIN(level, (int8_t)t)`).
    @inline(__always)
    static func capped(_ c: B, level: UInt8) -> B {
        let m = B(repeating: 64 + 2 * level + 1)
        var r = c
        for i in 0..<16 { r[i] = m[i] < c[i] ? m[i] : c[i] } // `pminub`
        return r
    }

    /// Bytes holding the low four bits of the levels of `lo` (low nibble) and of `hi` (high nibble).
    @inline(__always)
    static func nibbles(_ lo: B, _ hi: B) -> B {
        // Level = code >> 1; byte shifts become a 16-bit shift and a mask.
        ((lo &>> 1) & 0x0F) | ((hi &<< 3) & 0xF0)
    }

    /// Bit 4 of the levels of `lo` (bits 0…15) and `hi` (bits 16…31): ggml's `qh` of Q5_0 and Q5_1.
    @inline(__always)
    static func fifthBits(_ lo: B, _ hi: B) -> UInt32 {
        // Bit 4 of the level is bit 5 of the code. Eight 0/1 bytes of a UInt64 times 0x0102…80 gather, without
        // carries, into its top byte (byte i to bit 56 + i).
        let m: UInt64 = 0x0102_0408_1020_4080
        let a = unsafeBitCast((lo &>> 5) & 1, to: SIMD2<UInt64>.self), b = unsafeBitCast((hi &>> 5) & 1, to: SIMD2<UInt64>.self)
        let l = (a[0] &* m) >> 56 | ((a[1] &* m) >> 56) << 8, h = (b[0] &* m) >> 56 | ((b[1] &* m) >> 56) << 8
        return UInt32(truncatingIfNeeded: l | h << 16)
    }
}

/// One of the 32-element 4- and 5-bit formats (Q4_0, Q4_1, Q5_0, Q5_1) as their fast encoders need it:
/// `LegacyBlockBatches` (Q4_0, Q4_1, Q5_1) and `LegacyBlockLanes.encodeTwoPass` (Q5_0).
///
/// Formats without an offset (`_0`) store d = (signed absmax)/−(maxLevel + 1)/2 and take levels
/// MIN(maxLevel, (int)(x/d + (maxLevel + 1)/2 + 0.5)); formats with one (`_1`) store d = (max − min)/maxLevel and the
/// minimum, and take (int)((x − min)/d + 0.5), capped at maxLevel where ggml caps it (Q4_1; Q5_1 does not).
protocol LegacyTwoPassFormat {
    static var blockBytes: Int { get }
    /// 15 for the 4-bit formats, 31 for the 5-bit ones.
    static var maxLevel: UInt8 { get }
    /// Whether the format subtracts its block minimum before scaling (Q4_1, Q5_1).
    static var subtractsOffset: Bool { get }
    /// Whether ggml caps the levels at `maxLevel` (all but Q5_1).
    static var capsLevels: Bool { get }
    /// ggml's scalar code, for the blocks the fast path leaves.
    static func encodeScalar(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer)
}

extension LegacyTwoPassFormat {
    /// For a format without an offset: stores the block's fp16 scale and returns 1/d; a NaN sends the block to
    /// `encodeScalar`.
    @inline(__always)
    static func inverseScale(_ xb: UnsafePointer<Float>, _ yb: UnsafeMutableRawPointer) -> Float {
        typealias S = LegacyBlockLanes
        let (min, max) = S.extremes(xb)
        let d = S.signedAbsMax(xb, lo: min, hi: max) / -Float((Int(maxLevel) + 1) / 2)
        storeHalf(d, yb, 0)
        return S.isFastScale(d) ? (d != 0 ? 1 / d : 0) : .nan
    }

    /// A bound on the codes (`LegacyBlockLanes.batchCodes`) of a block with a normal d, one less than a power of two:
    /// 2·maxLevel + 1 with an offset (t ≤ maxLevel·(1 + 3ε) + 0.5, so ggml's cap never binds); without one t reaches
    /// maxLevel + 1.5 (ggml caps the level), and codes go up to 2·maxLevel + 3 (Q4_0: 33, within 63).
    static var codeLimit: UInt8 { subtractsOffset ? 2 &* maxLevel &+ 1 : 4 &* maxLevel &+ 3 }

    /// t = (x − offset)·(1/d) + bias lies in [0.5, maxLevel + 1.5]; the level is `(int)t`.
    static var bias: Float { subtractsOffset ? 0.5 : Float((Int(maxLevel) + 1) / 2) + 0.5 }

    /// Writes the levels of a block whose lanes are all codes of finite t: after the fp16 fields, the fifth bits
    /// (5-bit formats), then the nibbles.
    @_transparent
    static func store(_ c0: LegacyBlockLanes.B, _ c1: LegacyBlockLanes.B, _ yb: UnsafeMutableRawPointer) {
        typealias S = LegacyBlockLanes
        storeUncapped(capsLevels ? S.capped(c0, level: maxLevel) : c0, capsLevels ? S.capped(c1, level: maxLevel) : c1, yb)
    }

    /// `store` for codes known to be at most the code of `maxLevel`. Transparent: merely always-inline, LLVM left it
    /// a call per block in `LegacyBlockBatches`.
    @_transparent
    static func storeUncapped(_ l0: LegacyBlockLanes.B, _ l1: LegacyBlockLanes.B, _ yb: UnsafeMutableRawPointer) {
        typealias S = LegacyBlockLanes
        var at = subtractsOffset ? 4 : 2
        if maxLevel == 31 {
            yb.storeBytes(of: S.fifthBits(l0, l1).littleEndian, toByteOffset: at, as: UInt32.self)
            at += 4
        }
        yb.storeBytes(of: S.nibbles(l0, l1), toByteOffset: at, as: S.B.self)
    }
}

extension LegacyBlockLanes {
    /// The encoder of Q5_0 (see `LegacyBlockBatches.encode` for why not batched), in two passes over each group of
    /// blocks (see `group`): first every block's scale, then every block's levels.
    static func encodeTwoPass<F: LegacyTwoPassFormat>(_ format: F.Type, _ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        precondition(!F.subtractsOffset, "formats with an offset use LegacyBlockBatches")
        withUnsafeTemporaryAllocation(of: Float.self, capacity: group) { buffer in
            let inverses = buffer.baseAddress!
            var first = 0
            while first < blocks {
                let n = Swift.min(group, blocks - first)
                let xg = x + 32 * first, yg = y + F.blockBytes * first
                for k in 0..<n {
                    Prefetch.block(xg + 32 * k + prefetchAhead)
                    inverses[k] = F.inverseScale(xg + 32 * k, yg + F.blockBytes * k)
                }
                for k in 0..<n {
                    let xb = xg + 32 * k, yb = yg + F.blockBytes * k
                    let id = inverses[k]
                    let c0 = codes(load(xb, 0) * id + F.bias), c1 = codes(load(xb, 1) * id + F.bias)
                    guard areCodes(c0, c1) else {
                        F.encodeScalar(xb, blocks: 1, into: yb)
                        continue
                    }
                    F.store(c0, c1, yb)
                }
                first += n
            }
        }
    }
}

extension LegacyBlockLanes {
    /// ggml's signed maximum (`if (amax < fabsf(v)) { amax = fabsf(v); max = v; }`) from the block's extremes:
    /// the value with the largest magnitude. Only when +a and −a both occur does the order matter, and only then
    /// is the block scanned.
    @inline(__always)
    static func signedAbsMax(_ x: UnsafePointer<Float>, lo: Float, hi: Float) -> Float {
        let nlo = -lo
        if hi == nlo { return firstWithMagnitude(x, hi) }
        return hi > nlo ? hi : lo
    }

    /// The first of the 32 values whose magnitude is `m`; +0 when m is 0 (ggml keeps its initial 0).
    @inline(never)
    static func firstWithMagnitude(_ x: UnsafePointer<Float>, _ m: Float) -> Float {
        if m == 0 { return 0 }
        for j in 0..<32 where Swift.abs(x[j]) == m { return x[j] }
        return 0
    }

    /// The smallest and the largest of the block's 32 values (unspecified if some value is NaN).
    @_transparent
    static func extremes(_ x: UnsafePointer<Float>) -> (min: Float, max: Float) {
        let (lo, hi) = laneExtremes(x)
        let lo2 = QuadLanes.min(lo, SIMD4(lo[2], lo[3], lo[2], lo[3])), hi2 = QuadLanes.max(hi, SIMD4(hi[2], hi[3], hi[2], hi[3]))
        return (lo2[1] < lo2[0] ? lo2[1] : lo2[0], hi2[1] > hi2[0] ? hi2[1] : hi2[0])
    }

    /// The lane-wise minimum and maximum of the block's eight four-lane vectors: two trees of seven `minps`/`maxps`.
    /// Not inlined: inlined into a scalar reduction, LLVM narrowed the trees to half vectors with a shuffle per input
    /// (about 60 instructions instead of 30, on the chain each block's scale waits for).
    @inline(never)
    static func laneExtremes(_ x: UnsafePointer<Float>) -> (SIMD4<Float>, SIMD4<Float>) { inlinedLaneExtremes(x) }

    /// `laneExtremes` inlined, for callers that keep the trees whole (`LegacyBlockBatches`).
    @_transparent
    static func inlinedLaneExtremes(_ x: UnsafePointer<Float>) -> (SIMD4<Float>, SIMD4<Float>) {
        typealias Q = SIMD4<Float>
        let p = UnsafeRawPointer(x)
        let a0 = p.loadUnaligned(as: Q.self), a1 = p.loadUnaligned(fromByteOffset: 16, as: Q.self)
        let a2 = p.loadUnaligned(fromByteOffset: 32, as: Q.self), a3 = p.loadUnaligned(fromByteOffset: 48, as: Q.self)
        let a4 = p.loadUnaligned(fromByteOffset: 64, as: Q.self), a5 = p.loadUnaligned(fromByteOffset: 80, as: Q.self)
        let a6 = p.loadUnaligned(fromByteOffset: 96, as: Q.self), a7 = p.loadUnaligned(fromByteOffset: 112, as: Q.self)
        return (QuadLanes.min(QuadLanes.min(QuadLanes.min(a0, a1), QuadLanes.min(a2, a3)), QuadLanes.min(QuadLanes.min(a4, a5), QuadLanes.min(a6, a7))),
                QuadLanes.max(QuadLanes.max(QuadLanes.max(a0, a1), QuadLanes.max(a2, a3)), QuadLanes.max(QuadLanes.max(a4, a5), QuadLanes.max(a6, a7))))
    }

    /// Whether `d` is a scale the fast paths reproduce: zero or normal. A subnormal d rounds so coarsely that
    /// x·id leaves the level range, and 1/d may overflow; such blocks take the scalar code.
    @inline(__always)
    static func isFastScale(_ d: Float) -> Bool { d == 0 || d.isNormal }
}
