#if arch(x86_64)
import QuantKernelsAVX2

extension NF4Quantizer {
    /// The 15 thresholds, +∞, then the 16 levels: the table layout `NF4MeasureAVX2` takes.
    static let avx2Tables: [Float] = thresholds + [.infinity] + levels

    /// The largest |x| = |w| / absmax for which the AVX2 code estimate is exact (see `NF4CodesAVX2`). Only an
    /// f16 scale that saturated at 65504 takes x beyond it.
    static let avx2CoveredMagnitude: Float = 1.01

    /// The stored absmax and reciprocal (`parameters(rawMax:)`) of `count` groups from their largest magnitudes
    /// (`rawMaxima`, readable in whole vectors of eight), for the AVX2 kernel; zeros for a group it leaves to the
    /// scalar path (absmax 0, a reciprocal that overflows, or x outside the covered range). Eight groups to a
    /// vector: one division instruction for eight reciprocals.
    func avx2Parameters(rawMaxima: UnsafePointer<Float>, count: Int, scales: UnsafeMutablePointer<Float>, reciprocals: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        let raw = UnsafeRawPointer(rawMaxima), s = UnsafeMutableRawPointer(scales), r = UnsafeMutableRawPointer(reciprocals)
        for offset in stride(from: 0, to: count &* 4, by: 32) {
            let rawMax = raw.loadUnaligned(fromByteOffset: offset, as: V.self)
            var absMax = rawMax
            if scaleStorage == .f16 {
                absMax = Half.round(rawMax)
                absMax = absMax.replacing(with: 65504, where: absMax .> 65504)  // `storedScale`: min(round, 65504)
            }
            let inverse = 1 / absMax
            // One comparison covers every case: an absmax of 0 gives 0 · ∞ = NaN or ∞, an overflowing reciprocal ∞,
            // a saturated f16 scale x > 1.01; none compares ≤ 1.01.
            let covered = rawMax * inverse .<= V(repeating: Self.avx2CoveredMagnitude)
            let zero = V(repeating: 0)
            s.storeBytes(of: zero.replacing(with: absMax, where: covered), toByteOffset: offset, as: V.self)
            r.storeBytes(of: zero.replacing(with: inverse, where: covered), toByteOffset: offset, as: V.self)
        }
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
        // Four arrays of `batch` floats, rounded up to whole vectors of eight (the parameters are computed per
        // vector), and the error lanes.
        let stride = (batch + 7) & ~7
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * stride + 24) { floats in
            floats.initialize(repeating: 1)
            var maxima = floats.baseAddress!, nextMaxima = maxima + stride
            let scales = maxima + 2 * stride, reciprocals = maxima + 3 * stride, lanes = maxima + 4 * stride
            Self.avx2Tables.withUnsafeBufferPointer { tables in
                for j in 0..<Swift.min(batch, groups) { maxima[j] = FloatFormatKernel.absMax(input + j &* group, group) }
                var first = 0
                while first < groups {
                    let n = Swift.min(batch, groups - first), following = Swift.min(batch, groups - first - n)
                    let x = input + first &* group, distance = n &* group
                    avx2Parameters(rawMaxima: maxima, count: n, scales: scales, reciprocals: reciprocals)
                    nextMaxima.update(repeating: 0, count: following)
                    var position = 0
                    while position < distance {
                        let j = position / group
                        if !(scales[j] > 0) {
                            let w = x + position, p = parameters(rawMax: maxima[j])
                            for i in 0..<group { scratch[i] = quantizeScalar(w[i], absMax: p[0], inverse: p[1]) }
                            sums.add(w, scratch, count: group)
                            sums.flushIfFull()
                            if j < following { nextMaxima[j] = FloatFormatKernel.absMax(w + distance, group) }
                            position &+= group
                            continue
                        }
                        // Up to the next flush, as the portable kernel cuts it, or to the next group the
                        // kernel cannot take, whichever comes first.
                        let flushAt = Swift.min(distance, position &+ sums.roomBeforeFlush)
                        var end = (j + 1) &* group, k = j + 1
                        while end < flushAt, scales[k] > 0 { end &+= group; k &+= 1 }
                        end = Swift.min(end, flushAt)
                        sums.storeLanes(to: lanes)
                        NF4MeasureAVX2.measure(x, from: position, to: end, length: group, scales: scales, reciprocals: reciprocals,
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
#endif
