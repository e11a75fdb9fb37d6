#if arch(x86_64)
import XCTest
@testable import QuantCore

/// The AVX2 integer kernels against the portable ones: the same sums, largest error and count, bit for bit.
final class IntegerAVX2Tests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(KernelSet.supported.contains(.avx2), "this CPU does not run x86-64-v3 code")
    }

    /// Weights whose magnitude changes every 24 (neighbouring groups get different scales, from f16-subnormal
    /// to f16-overflowing), with asymmetric zero-point ties (a clamp acts), all-zero runs and runs so small that
    /// a scale's reciprocal overflows.
    static func awkwardWeights(count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        var values = [Float](repeating: 0, count: count)
        var magnitude: Float = 1
        for i in 0..<count {
            if i % 24 == 0 { magnitude = IntegerKernelTests.awkwardMagnitude(&rng) }
            values[i] = magnitude * Float(rng.normal())
        }
        for start in stride(from: 0, to: count - 8, by: 200) {
            let step = Float(sign: .plus, exponent: values[start].exponent, significand: 1)
            values[start] = -3.5 * step; values[start + 1] = 11.5 * step
        }
        for start in stride(from: 96, to: count - 64, by: 700) { for i in 0..<64 { values[start + i] = 0 } }
        for start in stride(from: 350, to: count - 64, by: 900) { for i in 0..<64 { values[start + i] = Float(i % 5) * 1e-44 } }
        return values
    }

    /// Sums that already hold 1021 weights (a partial vector), so flushes fall mid-vector.
    static func startedSums(seed: UInt64) -> ErrorSums {
        var sums = ErrorSums()
        let earlier = FloatFormatTests.data(.normal, count: 1021, seed: seed)
        sums.add(earlier, [Float](repeating: 0, count: 1021), count: 1021)
        return sums
    }

    static func assertBitwiseEqual(_ a: ErrorSums, _ p: ErrorSums, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        var a = a, p = p
        let sa = a.finish(sumSquaredSignal: 1), sp = p.finish(sumSquaredSignal: 1)
        XCTAssertEqual(sa.count, sp.count, context, file: file, line: line)
        XCTAssertEqual(sa.maxAbsError.bitPattern, sp.maxAbsError.bitPattern, "\(context): max \(sa.maxAbsError) vs \(sp.maxAbsError)", file: file, line: line)
        XCTAssertEqual(sa.sumSquaredError.bitPattern, sp.sumSquaredError.bitPattern, "\(context): \(sa.sumSquaredError) vs \(sp.sumSquaredError)", file: file, line: line)
        XCTAssertEqual(sa.sumSquaredDequantized.bitPattern, sp.sumSquaredDequantized.bitPattern, context, file: file, line: line)
    }

    /// Min-max units of every path: batched groups (the specialised lengths 32, 64, 128 and others, partial last
    /// batches), groups too long to batch (measured one by one, with tails), and channels at least a flush interval
    /// long (measured in pieces while the next one's range is read); symmetric and asymmetric, f32 and f16 scales.
    /// Also weights so small that every f16 scale is subnormal, rounded far enough down for clamps to act in most
    /// groups, so that the largest error lies in a clamped batch.
    func testMinMaxUnitsEqualThePortableKernels() {
        for (unitLength, units) in [(32, 8 * 9 + 3), (64, 40), (128, 19), (24, 30), (40, 21), (8, 77), (256, 9), (100, 10), (1030, 5), (2048, 3)] {
            var rng = SplitMix64(seed: 17)
            let tiny = (0..<unitLength * units).map { _ in Float(rng.normal()) * 2e-6 }
            for (symmetric, qmax, values) in [(true, 7, Self.awkwardWeights(count: unitLength * units, seed: UInt64(unitLength))),
                                              (false, 15, Self.awkwardWeights(count: unitLength * units, seed: 5)),
                                              (true, 127, Self.awkwardWeights(count: unitLength * units, seed: 6)),
                                              (false, 3, Self.awkwardWeights(count: unitLength * units, seed: 7)),
                                              (true, 7, tiny), (false, 15, tiny)] as [(Bool, Float, [Float])] {
                for f16Scale in [false, true] {
                    Self.assertMinMaxKernelsAgree(values, unitLength: unitLength, units: units, symmetric: symmetric, qmax: qmax, f16Scale: f16Scale)
                }
            }
        }
    }

    /// Channels whose length leaves a tail of fewer than 8 after the last vector, with each channel's extremes in
    /// that tail: the range read ahead for the next channel must take the tail in.
    func testLongUnitsWithTheirExtremesInTheTail() {
        let unitLength = 1030, units = 6
        var values = Self.awkwardWeights(count: unitLength * units, seed: 12)
        for u in 0..<units {
            let m = values[u * unitLength ..< (u + 1) * unitLength].map(abs).max()!
            values[(u + 1) * unitLength - 1] = 3 * m + Float(u)
            values[(u + 1) * unitLength - 2] = -4 * m - Float(u)
        }
        for (symmetric, qmax) in [(true, 127), (false, 255)] as [(Bool, Float)] {
            Self.assertMinMaxKernelsAgree(values, unitLength: unitLength, units: units, symmetric: symmetric, qmax: qmax, f16Scale: false)
        }
    }

    /// `measureMinMax` with both kernel sets, into sums that already hold a partial vector: the same sums bit for bit.
    static func assertMinMaxKernelsAgree(_ values: [Float], unitLength: Int, units: Int, symmetric: Bool, qmax: Float, f16Scale: Bool,
                                         file: StaticString = #filePath, line: UInt = #line) {
        var portable = startedSums(seed: 3), avx2 = portable
        values.withUnsafeBufferPointer { x in
            IntegerKernel.measureMinMax(x.baseAddress!, unitLength: unitLength, units: units, symmetric: symmetric, qmax: qmax,
                                        f16Scale: f16Scale, into: &portable, kernels: .portable)
            IntegerKernel.measureMinMax(x.baseAddress!, unitLength: unitLength, units: units, symmetric: symmetric, qmax: qmax,
                                        f16Scale: f16Scale, into: &avx2, kernels: .avx2)
        }
        assertBitwiseEqual(avx2, portable, "units of \(unitLength) × \(units), symmetric \(symmetric), qmax \(qmax), f16 \(f16Scale)",
                           file: file, line: line)
    }

    /// One scale for a whole run (per-tensor): with and without the clamp, lengths with a tail, a run longer than a
    /// flush interval, and a scale whose reciprocal overflows.
    func testPerTensorEqualsThePortableKernel() {
        let values = Self.awkwardWeights(count: 5000, seed: 9)
        for count in [5000, 4099, 7, 1024] {
            for (scale, lowest, highest) in [(Float(0.01), Float(-8), Float(7)), (3e-3, -3, 12), (1e-41, -127, 127), (1e5, 0, 15)] {
                for clamps in [false, true] {
                    let p = IntegerKernel.UnitParameters(scale: scale, inverse: 1 / scale, lowest: lowest, highest: highest)
                    var portable = Self.startedSums(seed: 4), avx2 = portable
                    values.withUnsafeBufferPointer { x in
                        IntegerKernel.measure(x.baseAddress!, count: count, parameters: p, clamps: clamps, into: &portable, kernels: .portable)
                        IntegerKernel.measure(x.baseAddress!, count: count, parameters: p, clamps: clamps, into: &avx2, kernels: .avx2)
                    }
                    Self.assertBitwiseEqual(avx2, portable, "\(count) weights, scale \(scale), clamps \(clamps)")
                }
            }
        }
    }
}
#endif
