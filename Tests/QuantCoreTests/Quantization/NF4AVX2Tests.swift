#if arch(x86_64)
import QuantKernelsAVX2
import XCTest
@testable import QuantCore

/// The AVX2 NF4 kernel against the portable one and against the comparison with every threshold.
final class NF4AVX2Tests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(KernelSet.supported.contains(.avx2), "this CPU does not run x86-64-v3 code")
    }

    /// The code estimate is corrected by one comparison; it must be exact where a wrong estimate would show:
    /// on and next to every threshold, next to 0 and ±1.01, and on a grid over the whole covered range.
    func testAVX2CodesEqualTheThresholdCount() {
        var values: [Float] = []
        let centres = NF4Quantizer.thresholds + [0, -0, 1, -1, 1.01, -1.01]
        for c in centres {
            for d in -4096...4096 {
                let bits = Int64(c.bitPattern & 0x7FFF_FFFF) + Int64(d)
                guard bits >= 0 else { continue }
                let x = Float(bitPattern: UInt32(bits) | (c.bitPattern & 0x8000_0000))
                if abs(x) <= NF4Quantizer.avx2CoveredMagnitude { values.append(x) }
            }
        }
        var bits: UInt32 = 0
        while Float(bitPattern: bits) <= NF4Quantizer.avx2CoveredMagnitude {
            values.append(Float(bitPattern: bits))
            values.append(-Float(bitPattern: bits))
            bits &+= 32749
        }
        while values.count % 32 != 0 { values.append(0.5) }
        for bytePlanes in [false, true] {
            var codes = [Int32](repeating: -1, count: values.count)
            NF4Quantizer.avx2Tables.withUnsafeBufferPointer { tables in
                NF4CodesAVX2.codes(of: values, count: values.count, thresholds: tables.baseAddress!,
                                   levels: tables.baseAddress! + 16, bytePlanes: bytePlanes, into: &codes)
            }
            var wrong = 0
            for (x, code) in zip(values, codes) where Int(code) != NF4Quantizer.code(x) {
                if wrong < 5 { XCTFail("x = \(x) (0x\(String(x.bitPattern, radix: 16))): code \(code), expected \(NF4Quantizer.code(x)), byte planes \(bytePlanes)") }
                wrong += 1
            }
            XCTAssertEqual(wrong, 0, "of \(values.count) values, byte planes \(bytePlanes)")
        }
    }

    /// The same sums as the portable kernel, bit for bit, for groups of every
    /// kind: ordinary, all zero, scales so small that 1/absmax overflows, f16 scales that saturate, a group
    /// as long as the flush interval, chunks that end mid-batch, and sums that arrive holding a partial vector.
    func testAVX2MeasureEqualsThePortableKernel() throws {
        for (spec, group) in [("nf4", 64), ("nf4-g8", 8), ("nf4-g128-f16scale", 128), ("nf4-g1024-f16scale", 1024), ("nf4-g32", 32)] {
            for seed in 1...3 as ClosedRange<UInt64> {
                var values = FloatFormatTests.data(.heavy, count: 1024 * 19, seed: seed)
                for g in stride(from: group, to: values.count, by: group * 7) { for i in 0..<group { values[g + i] = 0 } }
                for g in stride(from: 3 * group, to: values.count, by: group * 11) { for i in 0..<group { values[g + i] = Float(i) * 1e-42 } }
                values[5 * group + 1] = 1e6  // beyond f16: the stored scale saturates at 65504
                let q = try XCTUnwrap(FloatFormatTests.make(spec, values, shape: [19, 1024]) as? NF4Quantizer)
                let count = (values.count - 3 * group) / group * group  // not a whole number of batches
                var portable = ErrorSums(), avx2 = ErrorSums()
                // Sums that already hold 1021 weights (a partial vector): the next flush falls mid-vector.
                let earlier = FloatFormatTests.data(.normal, count: 1021, seed: seed), zeros = [Float](repeating: 0, count: 1021)
                portable.add(earlier, zeros, count: 1021)
                avx2.add(earlier, zeros, count: 1021)
                var scratch = [Float](repeating: 0, count: group)
                values.withUnsafeBufferPointer { x in
                    q.measureGroups(x.baseAddress!, count: count, into: &portable, scratch: &scratch)
                    q.measureGroupsAVX2(x.baseAddress!, count: count, into: &avx2, scratch: &scratch)
                }
                let p = portable.finish(sumSquaredSignal: 1), a = avx2.finish(sumSquaredSignal: 1)
                XCTAssertEqual(a.count, p.count, spec)
                XCTAssertEqual(a.maxAbsError, p.maxAbsError, "\(spec) seed \(seed)")
                XCTAssertEqual(a.sumSquaredError, p.sumSquaredError, "\(spec) seed \(seed)")
                XCTAssertEqual(a.sumSquaredDequantized, p.sumSquaredDequantized, "\(spec) seed \(seed)")
            }
        }
    }
}
#endif
