/// Vectorised helpers shared by the float-format quantisers (same idioms as `IntegerKernel`: bit-mask abs,
/// `replacing(with:where:)` for max).
enum FloatFormatKernel {
    /// max |x[i]| over `n` finite values (0 when n is 0).
    @inline(__always)
    static func absMax(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        let raw = UnsafeRawPointer(x)
        var i = 0
        var best: Float = 0
        if n >= 16 {
            var acc = SIMD16<Float>(repeating: 0)
            while i + 16 <= n {
                let v = magnitude(raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
                acc = acc.replacing(with: v, where: v .> acc)
                i += 16
            }
            best = acc.horizontalMax
        }
        while i < n { best = Swift.max(best, abs(x[i])); i += 1 }
        return best
    }

    /// |v| by clearing the sign bits.
    @inline(__always)
    static func magnitude(_ v: SIMD16<Float>) -> SIMD16<Float> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: SIMD16<Float>.self)
    }

    /// Writes `n` zeros.
    @inline(__always)
    static func zero(_ y: UnsafeMutablePointer<Float>, _ n: Int) {
        y.update(repeating: 0, count: n)
    }
}
