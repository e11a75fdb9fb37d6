#if arch(x86_64)
import _Builtin_intrinsics.intel

/// The fused FP8 (and other small float format) error kernel on AVX2: per 8 weights, `|w| / s` rounded to
/// nearest even on the format's grid, `|ŵ| = r · s`, and the error sums, in YMM registers. The arithmetic is
/// that of the portable kernel (`FP8Quantizer`'s loop over `MiniFloatFormat.roundMagnitudeVector`) operation
/// for operation, so the sums are equal bit for bit; twice the lanes per instruction is the whole gain (the
/// portable build spends two SSE instructions on every eight-lane operation, and two divisions).
public enum FP8MeasureAVX2 {
    /// A small float format's rounding constants, as `MiniFloatFormat.VectorConstants` holds them.
    public struct Grid: Sendable {
        /// The largest finite value (the cap when saturating).
        public var maxFinite: Float
        /// 2^(smallest normal exponent): below it the grid step stays the subnormal one.
        public var smallestNormal: Float
        /// Adds 23 − mantissa bits to an exponent field.
        public var magicOffset: UInt32

        public init(maxFinite: Float, smallestNormal: Float, magicOffset: UInt32) {
            self.maxFinite = maxFinite
            self.smallestNormal = smallestNormal
            self.magicOffset = magicOffset
        }
    }

    /// Adds the errors of the `count` weights at `x` (a multiple of 8; finite) quantised with scale `s` > 0 to
    /// `lanes` (`ErrorSums`' three vectors, 24 floats). With `saturating` false the cap at the format's maximum
    /// is left out, which the caller may do only where it cannot act. With `lookahead`, also returns
    /// max |lookahead[i]| over the same count (else 0): the next unit's range, read while this one is measured.
    /// Call only where `KernelSet` found the CPU able to run this module.
    public static func measure(_ x: UnsafePointer<Float>, count: Int, scale s: Float, grid: Grid, saturating: Bool,
                               lookahead: UnsafePointer<Float>?, lanes: UnsafeMutablePointer<Float>) -> Float {
        precondition(count % 8 == 0, "whole vectors")
        if saturating {
            return lookahead.map { loop(x, count, s, grid, saturating: true, ahead: $0, lanes) }
                ?? loop(x, count, s, grid, saturating: true, ahead: nil, lanes)
        }
        return lookahead.map { loop(x, count, s, grid, saturating: false, ahead: $0, lanes) }
            ?? loop(x, count, s, grid, saturating: false, ahead: nil, lanes)
    }

    @inline(__always)
    static func loop(_ x: UnsafePointer<Float>, _ count: Int, _ s: Float, _ grid: Grid, saturating: Bool,
                     ahead: UnsafePointer<Float>?, _ lanes: UnsafeMutablePointer<Float>) -> Float {
        let signMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFF_FFFF))
        let exponentMask = _mm256_set1_epi32(0x7F80_0000)
        let scale = _mm256_set1_ps(s), maxFinite = _mm256_set1_ps(grid.maxFinite)
        let smallestNormal = _mm256_set1_ps(grid.smallestNormal)
        let magicOffset = _mm256_set1_epi32(Int32(bitPattern: grid.magicOffset))
        var sums = ErrorLanesAVX2(lanes)
        var aheadMax = _mm256_setzero_ps()
        let firstTouch = ahead ?? x  // the lookahead, or without one these weights
        var i = 0
        while i < count {
            ReadAhead.line(beyond: firstTouch + i)
            if let ahead { aheadMax = _mm256_max_ps(aheadMax, _mm256_and_ps(_mm256_loadu_ps(ahead + i), signMask)) }
            // On magnitudes: ŵ has the sign of w, so (ŵ − w)² = (|ŵ| − |w|)² and ŵ² = |ŵ|².
            let a = _mm256_and_ps(_mm256_loadu_ps(x + i), signMask)
            let quotient = _mm256_div_ps(a, scale)
            let capped = saturating ? _mm256_min_ps(quotient, maxFinite) : quotient
            let floor = _mm256_max_ps(smallestNormal, capped)
            let magic = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_and_si256(_mm256_castps_si256(floor), exponentMask), magicOffset))
            let q = _mm256_mul_ps(_mm256_sub_ps(_mm256_add_ps(capped, magic), magic), scale)
            sums.add(error: _mm256_sub_ps(a, q), dequantized: q)
            i &+= 8
        }
        sums.store(to: lanes)
        return ErrorLanesAVX2.horizontalMax(aheadMax)
    }
}
#endif
