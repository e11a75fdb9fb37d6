import XCTest
@testable import QuantCore

/// Statistics are checked against a plain Double computation written independently here.
final class StatsComputerTests: XCTestCase {
    let folder = TemporaryFolder()

    struct Reference {
        var count = 0, nan = 0, inf = 0, zeros = 0
        var min = Double.infinity, max = -Double.infinity, mean = 0.0, std = 0.0, kurtosis = 0.0
        var histogram: [Int] = []

        init(_ values: [Float], bins: Int) {
            let finite = values.filter { v in
                if v.isNaN { nan += 1; return false }
                if v.isInfinite { inf += 1; return false }
                return true
            }.map(Double.init)
            count = finite.count
            zeros = finite.filter { $0 == 0 }.count
            min = finite.min() ?? .nan
            max = finite.max() ?? .nan
            mean = finite.reduce(0, +) / Double(count)
            let m2 = finite.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(count)
            let m4 = finite.map { pow($0 - mean, 4) }.reduce(0, +) / Double(count)
            std = m2.squareRoot()
            kurtosis = m2 > 0 ? m4 / (m2 * m2) - 3 : 0
            histogram = [Int](repeating: 0, count: bins)
            let width = (max - min) / Double(bins)
            for v in finite {
                let b = width > 0 ? Swift.min(bins - 1, Int((v - min) / width)) : 0
                histogram[b] += 1
            }
        }
    }

    func model(_ values: [Float], shape: [Int]) throws -> (Model, TensorInfo) {
        let path = folder.write("t\(values.count).safetensors", Safetensors.file(tensors: [("w", shape, values)]))
        let model = try Model.open(path: path)
        return (model, model.tensors[0])
    }

    func assertClose(_ a: Double, _ b: Double, relative: Double = 1e-6, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let scale = Swift.max(abs(a), abs(b), 1e-30)
        XCTAssertLessThanOrEqual(abs(a - b) / scale, relative, "\(what): \(a) vs \(b)", file: file, line: line)
    }

    func check(_ values: [Float], bins: Int = 64, threads: Int = 2, file: StaticString = #filePath, line: UInt = #line) throws {
        let (model, tensor) = try model(values, shape: [values.count])
        let stats = StatsComputer.compute(try model.weights(of: tensor), bins: bins, threads: threads)
        let ref = Reference(values, bins: bins)
        XCTAssertEqual(stats.count, ref.count, file: file, line: line)
        XCTAssertEqual(stats.nanCount, ref.nan, file: file, line: line)
        XCTAssertEqual(stats.infCount, ref.inf, file: file, line: line)
        XCTAssertEqual(stats.zeroCount, ref.zeros, file: file, line: line)
        XCTAssertEqual(stats.min, ref.min, file: file, line: line)
        XCTAssertEqual(stats.max, ref.max, file: file, line: line)
        XCTAssertEqual(stats.maxAbs, Swift.max(abs(ref.min), abs(ref.max)), file: file, line: line)
        assertClose(stats.mean, ref.mean, relative: 1e-6 * Swift.max(1, ref.std / Swift.max(abs(ref.mean), 1e-30)), "mean", file: file, line: line)
        assertClose(stats.std, ref.std, "std", file: file, line: line)
        assertClose(stats.kurtosis + 3, ref.kurtosis + 3, relative: 1e-5, "kurtosis", file: file, line: line)
        // Bin edges computed in Float may move a value sitting exactly on an edge by one bin; totals must agree.
        XCTAssertEqual(stats.histogram.total, ref.count, file: file, line: line)
        let moved = zip(stats.histogram.counts, ref.histogram).map { abs($0 - $1) }.reduce(0, +)
        XCTAssertLessThanOrEqual(moved, Swift.max(2, ref.count / 10_000), "histogram differs from the reference by \(moved)", file: file, line: line)
    }

    func testNormalWeightsAgainstDoubleReference() throws {
        var rng = SplitMix64(seed: 1)
        try check((0..<300_001).map { _ in Float(0.02 * rng.normal()) })
    }

    func testLargeOffsetKeepsPrecision() throws {
        var rng = SplitMix64(seed: 2)
        // Mean far from zero relative to the spread: raw power sums would lose every digit of the variance.
        try check((0..<100_000).map { _ in Float(1000 + 0.01 * rng.normal()) })
    }

    func testHeavyTailsAndZeros() throws {
        var rng = SplitMix64(seed: 3)
        var values: [Float] = (0..<50_000).map { _ in Float(rng.normal() / Swift.max(0.05, abs(rng.normal()))) }
        for i in stride(from: 0, to: values.count, by: 7) { values[i] = 0 }
        try check(values, bins: 257)
    }

    func testNonFiniteValuesAreCountedAndExcluded() throws {
        var rng = SplitMix64(seed: 4)
        var values: [Float] = (0..<70_000).map { _ in Float(rng.normal()) }
        values[5] = .nan; values[40_000] = .infinity; values[69_999] = -.infinity; values[123] = .nan
        try check(values)
    }

    func testAllNonFinite() throws {
        let (model, tensor) = try model([.nan, .infinity], shape: [2])
        let stats = StatsComputer.compute(try model.weights(of: tensor))
        XCTAssertEqual(stats.count, 0)
        XCTAssertEqual(stats.nanCount, 1)
        XCTAssertEqual(stats.infCount, 1)
        XCTAssertTrue(stats.mean.isNaN)
    }

    func testConstantTensor() throws {
        let (model, tensor) = try model([Float](repeating: 0.5, count: 1000), shape: [1000])
        let stats = StatsComputer.compute(try model.weights(of: tensor), bins: 8)
        XCTAssertEqual(stats.std, 0)
        XCTAssertEqual(stats.histogram.counts.reduce(0, +), 1000)
        XCTAssertEqual(stats.min, 0.5)
        XCTAssertEqual(stats.max, 0.5)
    }

    func testOneThreadAndManyThreadsAgree() throws {
        var rng = SplitMix64(seed: 5)
        let values: [Float] = (0..<(1 << 19) + 13).map { _ in Float(rng.normal()) }
        let (model, tensor) = try model(values, shape: [values.count])
        let view = try model.weights(of: tensor)
        let one = StatsComputer.compute(view, threads: 1)
        let many = StatsComputer.compute(view, threads: 4)
        XCTAssertEqual(one.histogram, many.histogram)
        XCTAssertEqual(one.min, many.min)
        XCTAssertEqual(one.count, many.count)
        assertClose(one.std, many.std, relative: 1e-9, "std")
    }

    func testHalfPrecisionTensorsMatchTheirF32Values() throws {
        let model = try Model.open(path: Samples.path("minilm-l6-slice-f16.gguf"))
        let tensor = try XCTUnwrap(model.tensor(named: "blk.0.ffn_down.weight"))
        XCTAssertEqual(tensor.dtype, .f16)
        let view = try model.weights(of: tensor)
        let values = view.toArray()
        // Every value must be exactly what Swift's own Float16 conversion gives for the stored bits.
        let raw = view.bytes
        for i in stride(from: 0, to: values.count, by: 97) {
            XCTAssertEqual(values[i].bitPattern, Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))).bitPattern)
        }
        let stats = StatsComputer.compute(view)
        let ref = Reference(values, bins: 64)
        assertClose(stats.std, ref.std, "std")
        assertClose(stats.kurtosis + 3, ref.kurtosis + 3, relative: 1e-5, "kurtosis")
    }
}

final class ElementDecoderTests: XCTestCase {
    func testEveryHalfCodeDecodesExactly() {
        let codes = (0...0xFFFF).map { UInt16($0) }
        var out = [Float](repeating: 0, count: codes.count)
        codes.withUnsafeBytes { src in out.withUnsafeMutableBufferPointer { ElementDecoder.decodeF16(src.baseAddress!, codes.count, $0.baseAddress!) } }
        for code in codes {
            let expected = Float(Float16(bitPattern: code))
            if expected.isNaN {
                XCTAssertTrue(out[Int(code)].isNaN, "code \(code)")
            } else {
                XCTAssertEqual(out[Int(code)].bitPattern, expected.bitPattern, "code \(code)")
            }
        }
    }

    func testEveryBFloat16CodeDecodesExactly() {
        let codes = (0...0xFFFF).map { UInt16($0) }
        var out = [Float](repeating: 0, count: codes.count)
        codes.withUnsafeBytes { src in out.withUnsafeMutableBufferPointer { ElementDecoder.decodeBF16(src.baseAddress!.advanced(by: 0), codes.count, $0.baseAddress!) } }
        for code in codes { XCTAssertEqual(out[Int(code)].bitPattern, UInt32(code) << 16) }
    }

    func testFP8TablesAgainstTheirDefinitions() {
        // E4M3: 1 sign, 4 exponent (bias 7), 3 mantissa; only S.1111.111 is NaN; max 448.
        XCTAssertEqual(FP8.e4m3Table.filter(\.isNaN).count, 2)
        XCTAssertEqual(FP8.e4m3Table.filter { !$0.isNaN }.max(), 448)
        XCTAssertEqual(FP8.e4m3ToFloat(0x08), 1.0 / 64) // smallest normal 2^-6
        XCTAssertEqual(FP8.e4m3ToFloat(0x07), 7.0 / 512) // largest subnormal
        // E5M2: IEEE-like, max 57344, ±inf, 6 NaNs.
        XCTAssertEqual(FP8.e5m2Table.filter(\.isNaN).count, 6)
        XCTAssertEqual(FP8.e5m2Table.filter(\.isFinite).max(), 57344)
        // E5M2 is the top byte of an f16: check every code that way.
        for code in 0...255 where !FP8.e5m2Table[code].isNaN {
            XCTAssertEqual(FP8.e5m2Table[code], Float(Float16(bitPattern: UInt16(code) << 8)))
        }
        // Positive codes are increasing (excluding NaN), so they are a valid grid.
        let positives = FP8.e4m3Table[0..<127]
        XCTAssertEqual(Array(positives), positives.sorted())
    }
}
