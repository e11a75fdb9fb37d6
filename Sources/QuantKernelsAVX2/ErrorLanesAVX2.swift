#if arch(x86_64)
import _Builtin_intrinsics.intel

/// `ErrorSums`' three lane vectors (Σ(ŵ − w)², Σŵ², max (ŵ − w)²) in YMM registers for the length of a kernel
/// call, read from and written back to the caller's 24 floats in that order. `add` does what `ErrorSums.add`
/// does, with the same operations in the same order (no FMA: the portable build has none), so the sums are
/// the portable kernels' bit for bit.
struct ErrorLanesAVX2 {
    var squaredError: __m256, squaredDequantized: __m256, maxSquaredError: __m256

    @inline(__always)
    init(_ lanes: UnsafePointer<Float>) {
        squaredError = _mm256_loadu_ps(lanes)
        squaredDequantized = _mm256_loadu_ps(lanes + 8)
        maxSquaredError = _mm256_loadu_ps(lanes + 16)
    }

    @inline(__always)
    func store(to lanes: UnsafeMutablePointer<Float>) {
        _mm256_storeu_ps(lanes, squaredError)
        _mm256_storeu_ps(lanes + 8, squaredDequantized)
        _mm256_storeu_ps(lanes + 16, maxSquaredError)
    }

    /// Adds eight errors `e` (ŵ − w or w − ŵ: the square is the same) and dequantised values `q`.
    @inline(__always)
    mutating func add(error e: __m256, dequantized q: __m256) {
        let e2 = _mm256_mul_ps(e, e)
        squaredError = _mm256_add_ps(squaredError, e2)
        squaredDequantized = _mm256_add_ps(squaredDequantized, _mm256_mul_ps(q, q))
        maxSquaredError = _mm256_max_ps(maxSquaredError, e2)  // maxSquaredError > e2 ? maxSquaredError : e2
    }

    /// The largest of eight non-negative lanes.
    @inline(__always)
    static func horizontalMax(_ v: __m256) -> Float {  // __m256 is SIMD8<Float>
        let four = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
        return Swift.max(Swift.max(four[0], four[1]), Swift.max(four[2], four[3]))
    }
}
#endif
