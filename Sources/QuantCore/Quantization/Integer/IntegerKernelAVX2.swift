#if arch(x86_64)
import QuantKernelsAVX2

extension IntegerKernel {
    /// `measureUnit` with the AVX2 kernel for the whole vectors and `measureUnit` itself for the tail: the same
    /// sums bit for bit (`KernelSet.avx2` only).
    static func measureUnitAVX2(_ x: UnsafePointer<Float>, _ n: Int, inverse: Float, scale: Float, lowest: Float, highest: Float,
                                clamps: Bool, into acc: inout ErrorSums) {
        var lo = IntegerUnitLanes.Lanes(), hi = lo
        measureUnitAVX2(x, n, inverse: inverse, scale: scale, lowest: lowest, highest: highest, clamps: clamps, into: &acc,
                        scanning: nil, symmetric: true, lo: &lo, hi: &hi)
    }

    /// `measurePiece` with the AVX2 kernel: the same sums, and the same range of the weights at `next` folded into
    /// `lo` and `hi` (`KernelSet.avx2` only).
    static func measurePieceAVX2(_ x: UnsafePointer<Float>, _ n: Int, _ p: UnitParameters, clamps: Bool, into sums: inout ErrorSums,
                                 scanning next: UnsafePointer<Float>?, symmetric: Bool,
                                 lo: inout IntegerUnitLanes.Lanes, hi: inout IntegerUnitLanes.Lanes) {
        measureUnitAVX2(x, n, inverse: p.inverse, scale: p.scale, lowest: p.lowest, highest: p.highest, clamps: clamps, into: &sums,
                        scanning: next, symmetric: symmetric, lo: &lo, hi: &hi)
        sums.flushIfFull()
    }

    /// The error of `n` weights under one scale, and the range of the `n` weights at `next` (the vectors in the
    /// kernel, a tail of fewer than 8 through the portable path).
    static func measureUnitAVX2(_ x: UnsafePointer<Float>, _ n: Int, inverse: Float, scale: Float, lowest: Float, highest: Float,
                                clamps: Bool, into acc: inout ErrorSums, scanning next: UnsafePointer<Float>?, symmetric: Bool,
                                lo: inout IntegerUnitLanes.Lanes, hi: inout IntegerUnitLanes.Lanes) {
        let vectorLength = n & ~7
        // The error lanes (24 floats), then the range lanes (16).
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 40) { buffer in
            let lanes = buffer.baseAddress!, range = UnsafeMutableRawPointer(lanes + 24)
            acc.storeLanes(to: lanes)
            range.storeBytes(of: lo, as: IntegerUnitLanes.Lanes.self)
            range.storeBytes(of: hi, toByteOffset: 32, as: IntegerUnitLanes.Lanes.self)
            IntegerMeasureAVX2.measureUnit(x, count: vectorLength, scale: scale, inverse: inverse, lowest: lowest, highest: highest,
                                           clamps: clamps, scanning: next, symmetric: symmetric, range: lanes + 24, lanes: lanes)
            acc.loadLanes(from: lanes)
            lo = range.loadUnaligned(as: IntegerUnitLanes.Lanes.self)
            hi = range.loadUnaligned(fromByteOffset: 32, as: IntegerUnitLanes.Lanes.self)
        }
        acc.pending &+= vectorLength
        measureUnit(x + vectorLength, n &- vectorLength, inverse: inverse, scale: scale, lowest: lowest, highest: highest, clamps: clamps, into: &acc)
        guard let next, vectorLength < n else { return }
        foldRange(of: next + vectorLength, n &- vectorLength, symmetric: symmetric, lo: &lo, hi: &hi)
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
