/// Vectorised helpers shared by the float-format quantisers (same idioms as `IntegerKernel`: bit-mask abs,
/// lane-wise min/max that compile to `minps`/`maxps`).
enum FloatFormatKernel {
    typealias Lanes = SIMD8<Float>

    /// max |x[i]| over `n` finite values (0 when n is 0).
    @inline(__always)
    static func absMax(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        let raw = UnsafeRawPointer(x)
        var i = 0
        var best: Float = 0
        if n >= 16 {
            var a = Lanes(repeating: 0), b = Lanes(repeating: 0)
            while i + 16 <= n {
                a = maximum(a, magnitude(raw.loadUnaligned(fromByteOffset: i &* 4, as: Lanes.self)))
                b = maximum(b, magnitude(raw.loadUnaligned(fromByteOffset: i &* 4 &+ 32, as: Lanes.self)))
                i &+= 16
            }
            best = maximum(a, b).horizontalMax
        }
        while i < n { best = Swift.max(best, abs(x[i])); i += 1 }
        return best
    }

    /// |v| by clearing the sign bits.
    @inline(__always)
    static func magnitude(_ v: SIMD16<Float>) -> SIMD16<Float> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: SIMD16<Float>.self)
    }

    /// |v| by clearing the sign bits.
    @_transparent
    static func magnitude(_ v: Lanes) -> Lanes {
        unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: Lanes.self)
    }

    /// |v| by clearing the sign bits.
    @_transparent
    static func magnitude(_ v: SIMD4<Float>) -> SIMD4<Float> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD4<UInt32>.self) & 0x7FFF_FFFF, to: SIMD4<Float>.self)
    }

    /// `b[i] < a[i] ? b[i] : a[i]` in each lane. Written lane by lane on purpose: the loop is vectorised into
    /// one compare-and-select that x86 lowers to `minps`, whereas `replacing(with:where:)` on a `SIMDMask`
    /// keeps an integer test of the mask and an and/andnot/or blend (checked in the generated code).
    @_transparent
    static func minimum(_ a: Lanes, _ b: Lanes) -> Lanes {
        var r = a
        for i in 0..<8 { r[i] = a[i] > b[i] ? b[i] : a[i] }
        return r
    }

    /// `b[i] > a[i] ? b[i] : a[i]` in each lane (`maxps`; see `minimum`).
    @_transparent
    static func maximum(_ a: Lanes, _ b: Lanes) -> Lanes {
        var r = a
        for i in 0..<8 { r[i] = b[i] > a[i] ? b[i] : a[i] }
        return r
    }

    /// `maximum(running, b)` for a running maximum of values that are never NaN: the same value, written
    /// `running[i] > b[i] ? running[i] : b[i]` so that `maxps` can take `running` as its destination (the other
    /// order costs a register copy per vector).
    @_transparent
    static func runningMaximum(_ running: Lanes, _ b: Lanes) -> Lanes {
        var r = running
        for i in 0..<8 { r[i] = running[i] > b[i] ? running[i] : b[i] }
        return r
    }

    /// `minimum(a, limit)` for `a` without NaNs (a NaN lane gives `limit`), written `a[i] < limit[i] ? a[i] : limit[i]`
    /// so that `minps` can take `a` as its destination and `limit` from memory.
    @_transparent
    static func capped(_ a: Lanes, at limit: Lanes) -> Lanes {
        var r = a
        for i in 0..<8 { r[i] = a[i] < limit[i] ? a[i] : limit[i] }
        return r
    }

    /// Runs `step` on the vectors of `x` at float offsets `i` up to `end` (multiples of 8), leaving `i` at `end`;
    /// with `lookahead`, also folds max |lookahead| at the same offsets into `aheadMax`, so a later run's scale
    /// is found while this one is measured (`lookahead` holds finite values, as every chunk given to `measure` does).
    @_transparent
    static func visit(_ x: UnsafeRawPointer, from i: inout Int, to end: Int, lookahead: UnsafeRawPointer?, aheadMax: inout Lanes,
                      _ step: (Lanes) -> Void) {
        if let lookahead {
            while i < end {
                aheadMax = runningMaximum(aheadMax, magnitude(lookahead.loadUnaligned(fromByteOffset: i &* 4, as: Lanes.self)))
                step(x.loadUnaligned(fromByteOffset: i &* 4, as: Lanes.self))
                i &+= 8
            }
        } else {
            while i < end {
                step(x.loadUnaligned(fromByteOffset: i &* 4, as: Lanes.self))
                i &+= 8
            }
        }
    }

    /// Writes `n` zeros.
    @inline(__always)
    static func zero(_ y: UnsafeMutablePointer<Float>, _ n: Int) {
        y.update(repeating: 0, count: n)
    }
}
