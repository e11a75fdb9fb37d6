/// SIMD helpers for the 32-element formats (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1): one block is four `SIMD8<Float>` vectors.
///
/// Every helper reproduces C's scalar result exactly for finite inputs of the magnitudes these quantisers produce
/// (|v| < 2²²); the codecs send other blocks to their scalar code.
enum LegacyBlockLanes {
    typealias V = SIMD8<Float>
    typealias U = SIMD8<UInt32>

    @inline(__always)
    static func load(_ x: UnsafePointer<Float>, _ k: Int) -> V {
        UnsafeRawPointer(x).loadUnaligned(fromByteOffset: 32 * k, as: V.self)
    }

    @inline(__always)
    static func abs(_ v: V) -> V { unsafeBitCast(unsafeBitCast(v, to: U.self) & 0x7fff_ffff, to: V.self) }

    /// Round to nearest, ties to even (|v| < 2²²).
    @inline(__always)
    static func nearest(_ v: V) -> V { (v + 12_582_912) - 12_582_912 }

    /// C's `(int)t` for 0 ≤ t < 2²² (truncation = floor there).
    @inline(__always)
    static func truncNonNegative(_ t: V) -> V {
        let r = nearest(t)
        return r.replacing(with: r - 1, where: r .> t)
    }

    /// C's `roundf` (half away from zero) for |v| < 2²².
    @inline(__always)
    static func roundAway(_ v: V) -> V {
        let a = abs(v)
        var r = nearest(a)
        r.replace(with: r + 1, where: (a - r) .== 0.5)
        let sign = unsafeBitCast(v, to: U.self) & 0x8000_0000
        return unsafeBitCast(unsafeBitCast(r, to: U.self) | sign, to: V.self)
    }

    /// The integer value of an integer-valued float (|v| < 2²²) as the low bits of a UInt32 (two's complement).
    @inline(__always)
    static func intBits(_ v: V) -> U { unsafeBitCast(v + 12_582_912, to: U.self) & 0x00ff_ffff }

    /// Whether every value is finite and below 1e30 in magnitude.
    @inline(__always)
    static func isTame(_ v0: V, _ v1: V, _ v2: V, _ v3: V) -> Bool {
        let m = (abs(v0) .< 1e30) .& (abs(v1) .< 1e30) .& (abs(v2) .< 1e30) .& (abs(v3) .< 1e30)
        return all(m)
    }

    @inline(__always)
    static func hmax(_ v: V) -> Float {
        var m = v[0]
        for j in 1..<8 where v[j] > m { m = v[j] }
        return m
    }

    @inline(__always)
    static func hmin(_ v: V) -> Float {
        var m = v[0]
        for j in 1..<8 where v[j] < m { m = v[j] }
        return m
    }

    /// Stores the low byte of each lane to 8 consecutive bytes.
    @inline(__always)
    static func storeBytes(_ u: U, _ p: UnsafeMutableRawPointer, _ offset: Int) {
        let lo = UInt64(u[0] & 0xff) | UInt64(u[1] & 0xff) << 8 | UInt64(u[2] & 0xff) << 16 | UInt64(u[3] & 0xff) << 24
        let hi = UInt64(u[4] & 0xff) << 32 | UInt64(u[5] & 0xff) << 40 | UInt64(u[6] & 0xff) << 48 | UInt64(u[7] & 0xff) << 56
        p.storeBytes(of: (lo | hi).littleEndian, toByteOffset: offset, as: UInt64.self)
    }

    /// The first value with the largest magnitude (ggml's `if (amax < fabsf(v)) { amax = fabsf(v); max = v; }`).
    @inline(__always)
    static func signedAbsMax(_ x: UnsafePointer<Float>, _ v0: V, _ v1: V, _ v2: V, _ v3: V) -> Float {
        var m = abs(v0)
        m.replace(with: abs(v1), where: abs(v1) .> m)
        m.replace(with: abs(v2), where: abs(v2) .> m)
        m.replace(with: abs(v3), where: abs(v3) .> m)
        let amax = hmax(m)
        if amax == 0 { return 0 }
        for j in 0..<32 where Swift.abs(x[j]) == amax { return x[j] }
        return 0
    }
}
