#if arch(x86_64)
import XCTest
@testable import QuantCore

/// The AVX2 FP8 kernel against the portable one: the same sums and lookahead maxima, bit for bit.
final class FP8AVX2Tests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(KernelSet.supported.contains(.avx2), "this CPU does not run x86-64-v3 code")
    }

    /// Runs of weights on and next to the grid's midpoints (scales that are powers of two and that are not),
    /// zeros, −0, subnormals, runs whose scale is subnormal or too small for their largest weight (the saturating
    /// loop), lengths that leave a tail,
    /// with and without a lookahead, into sums that arrive holding a partial vector (the flush falls mid-vector).
    func testAVX2MeasureEqualsThePortableKernel() {
        for spec in ["fp8-e4m3", "fp8-e5m2"] {
            let format: MiniFloatFormat = spec == "fp8-e4m3" ? .e4m3 : .e5m2
            for (seed, length) in zip(1...8 as ClosedRange<UInt64>, [3001, 1024, 4096, 77, 2048, 9000, 1, 515]) {
                let values = FloatFormatTests.boundaryData(spec, count: 2 * length, unit: length, seed: seed)
                for (lookahead, clipping) in [(false, false), (true, false), (true, true)] {
                    var portable = ErrorSums(), avx2 = ErrorSums()
                    let earlier = FloatFormatTests.data(.normal, count: 1021, seed: seed), zeros = [Float](repeating: 0, count: 1021)
                    portable.add(earlier, zeros, count: 1021)
                    avx2.add(earlier, zeros, count: 1021)
                    var scratch = [Float](repeating: 0, count: length)
                    let largest = values[..<length].reduce(0) { max($0, abs($1)) }
                    // A scale three quarters of the usual one sends the largest quarter of the weights to ±max.
                    let s = largest / format.maxFinite * (clipping ? 0.75 : 1)
                    // The next run, its largest magnitude first (the kernel reads it piece by piece).
                    var next = Array(values[length...])
                    next[0] = -2 * (next.map(abs).max() ?? 0) - 1
                    let (p, a) = values.withUnsafeBufferPointer { x in next.withUnsafeBufferPointer { nextRun in
                        let ahead = lookahead ? nextRun.baseAddress! : nil
                        return (FP8Quantizer.measure(x.baseAddress!, length, scale: s, largest: largest, format, into: &portable,
                                                     scratch: &scratch, lookahead: ahead, kernels: .portable),
                                FP8Quantizer.measure(x.baseAddress!, length, scale: s, largest: largest, format, into: &avx2,
                                                     scratch: &scratch, lookahead: ahead, kernels: .avx2))
                    } }
                    let context = "\(spec) seed \(seed) length \(length) lookahead \(lookahead) scale \(s)"
                    XCTAssertEqual(a, p, context)
                    XCTAssertEqual(a, lookahead ? abs(next[0]) : 0, context)
                    let sp = portable.finish(sumSquaredSignal: 1), sa = avx2.finish(sumSquaredSignal: 1)
                    XCTAssertEqual(sa.count, sp.count, context)
                    XCTAssertEqual(sa.maxAbsError, sp.maxAbsError, context)
                    XCTAssertEqual(sa.sumSquaredError, sp.sumSquaredError, context)
                    XCTAssertEqual(sa.sumSquaredDequantized, sp.sumSquaredDequantized, context)
                }
            }
        }
    }
}
#endif
