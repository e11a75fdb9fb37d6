#if arch(x86_64)
import QuantKernelsAVX2

extension FP8Quantizer {
    /// `measure`'s loop with the AVX2 kernel (`KernelSet.avx2` only; `s` > 0), with the same sums bit for bit: the
    /// kernel runs up to each flush of `sums`, as the portable loop does, and the tail is shared.
    static func measureAVX2(_ x: UnsafePointer<Float>, _ n: Int, scale s: Float, _ format: MiniFloatFormat, saturating: Bool,
                            into sums: inout ErrorSums, lookahead: UnsafePointer<Float>?) -> Float {
        precondition(KernelSet.supported.contains(.avx2) && s > 0)
        let k = format.vectorConstants
        let grid = FP8MeasureAVX2.Grid(maxFinite: format.maxFinite, smallestNormal: k.minExponent[0], magicOffset: k.magicOffset[0])
        let vectorEnd = n & ~7
        var aheadMax: Float = 0
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 24) { lanes in
            var i = 0
            while i < vectorEnd {
                let end = Swift.min(vectorEnd, i &+ sums.roomBeforeFlush)
                sums.storeLanes(to: lanes.baseAddress!)
                let pieceMax = FP8MeasureAVX2.measure(x + i, count: end &- i, scale: s, grid: grid, saturating: saturating,
                                                      lookahead: lookahead.map { $0 + i }, lanes: lanes.baseAddress!)
                aheadMax = Swift.max(aheadMax, pieceMax)
                sums.updateLanes(from: lanes.baseAddress!, adding: end &- i)
                i = end
            }
        }
        return measureTail(x, from: vectorEnd, n, scale: s, k, into: &sums, lookahead: lookahead, aheadMax: aheadMax)
    }
}
#endif
