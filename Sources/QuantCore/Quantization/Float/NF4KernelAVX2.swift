#if arch(x86_64)
import QuantKernelsAVX2

extension NF4Quantizer {
    /// The 15 thresholds, +∞, then the 16 levels: the table layout `NF4MeasureAVX2` takes.
    static let avx2Tables: [Float] = thresholds + [.infinity] + levels

    /// The largest |x| = |w| / absmax for which the AVX2 code estimate is exact (see `NF4CodesAVX2`). Only an
    /// f16 scale that saturated at 65504 takes x beyond it.
    static let avx2CoveredMagnitude: Float = 1.01

    /// A group's stored absmax and reciprocal for the AVX2 kernel, or zeros for a group it leaves to the
    /// scalar path (absmax 0, a reciprocal that overflows, or x outside the covered range).
    @inline(__always)
    func avx2Parameters(rawMax: Float) -> SIMD2<Float> {
        let p = parameters(rawMax: rawMax)
        guard p[0] > 0, p[1].isFinite, rawMax * p[1] <= Self.avx2CoveredMagnitude else { return .zero }
        return p
    }

    /// `measureGroups` with the AVX2 kernel (`KernelSet.avx2` only; `group` a multiple of 8), with the same sums
    /// bit for bit: the weights go to the kernel in order, in pieces that end where `ErrorSums` flushes, and the
    /// groups the kernel cannot take go through the scalar path in their place. Groups are taken in batches of
    /// about 4096 weights; the kernel reads the next batch's maxima while it measures this one.
    func measureGroupsAVX2(_ input: UnsafePointer<Float>, count: Int, into sums: inout ErrorSums, scratch: UnsafeMutablePointer<Float>) {
        let group = self.group, groups = count / group
        precondition(KernelSet.supported.contains(.avx2) && group % 8 == 0)
        guard groups > 0 else { return }
        let batch = Swift.max(1, 4096 / group)
        withUnsafeTemporaryAllocation(of: SIMD2<Float>.self, capacity: batch) { groupParameters in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * batch + 24) { floats in
                var maxima = floats.baseAddress!, nextMaxima = maxima + batch
                let lanes = maxima + 2 * batch
                Self.avx2Tables.withUnsafeBufferPointer { tables in
                    for j in 0..<Swift.min(batch, groups) { maxima[j] = FloatFormatKernel.absMax(input + j &* group, group) }
                    var first = 0
                    while first < groups {
                        let n = Swift.min(batch, groups - first), following = Swift.min(batch, groups - first - n)
                        let x = input + first &* group, distance = n &* group
                        for j in 0..<n { groupParameters[j] = avx2Parameters(rawMax: maxima[j]) }
                        nextMaxima.update(repeating: 0, count: following)
                        var position = 0
                        while position < distance {
                            let j = position / group
                            if !(groupParameters[j][0] > 0) {
                                let w = x + position, p = parameters(rawMax: maxima[j])
                                for i in 0..<group { scratch[i] = quantizeScalar(w[i], absMax: p[0], inverse: p[1]) }
                                sums.add(w, scratch, count: group)
                                sums.flushIfFull()
                                if j < following { nextMaxima[j] = FloatFormatKernel.absMax(w + distance, group) }
                                position &+= group
                                continue
                            }
                            // Up to the next flush, measured as the portable kernel does (a partial vector
                            // left by an earlier caller can have taken `pending` past the interval), or to the
                            // next group the kernel cannot take, whichever comes first.
                            let room = Swift.max(8, (ErrorSums.flushInterval &- sums.pending &+ 7) & ~7)
                            let flushAt = Swift.min(distance, position &+ room)
                            var end = (j + 1) &* group
                            while end < flushAt, groupParameters[end / group][0] > 0 { end &+= group }
                            end = Swift.min(end, flushAt)
                            sums.storeLanes(to: lanes)
                            NF4MeasureAVX2.measure(x, from: position, to: end, length: group, parameters: groupParameters.baseAddress!,
                                                   lookaheadDistance: distance, lookaheadEnd: distance &+ following &* group,
                                                   lookaheadMaxima: nextMaxima, tables: tables.baseAddress!, lanes: lanes)
                            sums.updateLanes(from: lanes, adding: end &- position)
                            position = end
                        }
                        swap(&maxima, &nextMaxima)
                        first &+= n
                    }
                }
            }
        }
    }
}
#endif
