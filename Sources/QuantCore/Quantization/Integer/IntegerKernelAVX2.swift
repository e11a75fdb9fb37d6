#if arch(x86_64)
import QuantKernelsAVX2

extension IntegerKernel {
    /// `measureUnit` with the AVX2 kernel for the whole vectors and `measureUnit` itself for the tail: the same
    /// sums bit for bit (`KernelSet.avx2` only).
    static func measureUnitAVX2(_ x: UnsafePointer<Float>, _ n: Int, inverse: Float, scale: Float, lowest: Float, highest: Float,
                                clamps: Bool, into acc: inout ErrorSums) {
        let vectorLength = n & ~7
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 24) { lanes in
            acc.storeLanes(to: lanes.baseAddress!)
            IntegerMeasureAVX2.measureUnit(x, count: vectorLength, scale: scale, inverse: inverse, lowest: lowest, highest: highest,
                                           clamps: clamps, lanes: lanes.baseAddress!)
            acc.loadLanes(from: lanes.baseAddress!)
        }
        acc.pending &+= vectorLength
        measureUnit(x + vectorLength, n &- vectorLength, inverse: inverse, scale: scale, lowest: lowest, highest: highest, clamps: clamps, into: &acc)
    }

    /// One full batch of `measureGroupBatches` with the AVX2 kernel: the same sums, and the same ranges of the
    /// batch at `next` (`KernelSet.avx2` only).
    static func measureBatchAVX2(_ x: UnsafePointer<Float>, _ groupLength: Int, _ table: UnsafeRawPointer, clamping: Bool, tracksLargest: Bool,
                                 symmetric: Bool, into acc: inout ErrorSums,
                                 scanning next: UnsafePointer<Float>, into partials: UnsafeMutablePointer<SIMD8<Float>>) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 24) { lanes in
            acc.storeLanes(to: lanes.baseAddress!)
            IntegerMeasureAVX2.measureBatch(x, groupLength: groupLength, table: table, clamping: clamping, tracksLargest: tracksLargest,
                                            symmetric: symmetric, scanning: next, partials: UnsafeMutableRawPointer(partials),
                                            lanes: lanes.baseAddress!)
            acc.loadLanes(from: lanes.baseAddress!)
        }
    }
}
#endif
