import XCTest
@testable import QuantCore

/// The vectorised pieces of the statistics against plain scalar references.
final class FastStatsTests: XCTestCase {
    typealias Layout = StatsComputer.BinLayout
    let folder = TemporaryFolder()

    func reference(_ values: [Float], _ layout: Layout) -> [Int] {
        var counts = [Int](repeating: 0, count: layout.bins)
        for v in values { counts[layout.bin(v)] += 1 }
        return counts
    }

    /// Values spread over [lower, upper] with both ends, bin edges and their neighbours included.
    func rangeValues(_ lower: Float, _ upper: Float, bins: Int, count: Int, rng: inout SplitMix64) -> [Float] {
        var values: [Float] = (0..<count).map { _ in lower + (upper - lower) * Float.random(in: 0...1, using: &rng) }
        for k in 0...bins {
            let edge = lower + (upper - lower) * Float(k) / Float(bins)
            values += [edge, edge.nextDown, edge.nextUp].filter { $0 >= lower && $0 <= upper }
        }
        values += [lower, upper, lower, upper, lower.nextUp, upper.nextDown].filter { $0 >= lower && $0 <= upper }
        values.shuffle(using: &rng)
        return values
    }

    func testBinCounterMatchesBinLayoutInRange() {
        var rng = SplitMix64(seed: 11)
        let ranges: [(Float, Float)] = [(-0.3, 0.17), (1000, 1000.05), (-1e-3, 5e20), (0, 1), (-3e38, 3e38), (-1, -1),
                                        (Float.leastNonzeroMagnitude, 2 * Float.leastNonzeroMagnitude), (0, Float.leastNonzeroMagnitude), (-2, 7)]
        for (lower, upper) in ranges {
            for bins in [1, 2, 3, 7, 8, 63, 64, 65, 257, 4096] {
                let layout = Layout(lower: lower, upper: upper, bins: bins)
                let values = rangeValues(lower, upper, bins: bins, count: 3001, rng: &rng)
                let expected = reference(values, layout)
                for paired in [false, true] {
                    for inRange in [false, true] {
                        var counter = BinCounter(layout: layout, paired: paired, inRange: inRange)
                        // Uneven pieces exercise the tails.
                        values.withUnsafeBufferPointer { all in
                            var start = 0
                            for length in [1, 7, 8, 9, 1000, 1023, 1025] where start < all.count {
                                let end = min(all.count, start + length)
                                counter.add(UnsafeBufferPointer(rebasing: all[start..<end]))
                                start = end
                            }
                            counter.add(UnsafeBufferPointer(rebasing: all[start...]))
                        }
                        XCTAssertEqual(counter.histogram, expected, "[\(lower), \(upper)] bins \(bins) paired \(paired) inRange \(inRange)")
                    }
                }
            }
        }
    }

    func testBinCounterClampsOutsideValuesLikeBinLayout() {
        var rng = SplitMix64(seed: 12)
        var values: [Float] = (0..<5000).map { _ in Float(rng.normal()) * 3 }
        values += [.nan, .infinity, -.infinity, -0.0, 0, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        values.shuffle(using: &rng)
        for bins in [1, 5, 64, 300] {
            let layout = Layout(lower: -1, upper: 2, bins: bins)
            for paired in [false, true] {
                var counter = BinCounter(layout: layout, paired: paired)
                values.withUnsafeBufferPointer { counter.add($0) }
                XCTAssertEqual(counter.histogram, reference(values, layout), "bins \(bins) paired \(paired)")
                var histogram = [Int](repeating: 1, count: bins)
                values.withUnsafeBufferPointer { StatsComputer.binAll($0, layout: layout, into: &histogram) }
                XCTAssertEqual(histogram, reference(values, layout).map { $0 + 1 })
            }
        }
    }

    func testMomentsAgainstDouble() {
        var rng = SplitMix64(seed: 13)
        for (offset, spread) in [(0.0, 1.0), (1000.0, 0.01), (-5e3, 1e-3), (0.0, 1e12)] {
            let values: [Float] = (0..<20_001).map { _ in Float(offset + spread * rng.normal() * (Double.random(in: 0..<1, using: &rng) < 0.01 ? 20 : 1)) }
            let doubles = values.map(Double.init)
            let mean = doubles.reduce(0, +) / Double(doubles.count)
            let m2 = doubles.map { pow($0 - mean, 2) }.reduce(0, +), m4 = doubles.map { pow($0 - mean, 4) }.reduce(0, +)
            // Chunks around rough centres (the mean of their first values), merged; and the whole at once.
            var merged = Moments()
            values.withUnsafeBufferPointer { all in
                for start in stride(from: 0, to: all.count, by: 4096) {
                    let chunk = UnsafeBufferPointer(rebasing: all[start..<min(all.count, start + 4096)])
                    merged.merge(Moments.of(chunk, around: chunk.prefix(16).reduce(0, +) / Float(min(16, chunk.count))))
                }
            }
            let whole = values.withUnsafeBufferPointer { Moments.of($0, around: Float(mean)) }
            for moments in [merged, whole] {
                XCTAssertEqual(moments.count, Double(values.count))
                XCTAssertEqual(moments.mean, mean, accuracy: 1e-7 * max(abs(mean), spread))
                XCTAssertEqual(moments.m2 / m2, 1, accuracy: 2e-6, "offset \(offset)") // std to 1e-6
                XCTAssertEqual(moments.m4 / m4, 1, accuracy: 1e-5, "offset \(offset)")
            }
        }
    }

    func testValueSummaryCountsAndExcludesNonFinite() {
        var rng = SplitMix64(seed: 14)
        var values: [Float] = (0..<9000).map { _ in Float(rng.normal()) }
        for i in stride(from: 3, to: values.count, by: 101) { values[i] = 0 }
        values[17] = -0.0; values[100] = .nan; values[4000] = .infinity; values[8999] = -.infinity
        var summary = ValueSummary()
        values.withUnsafeBufferPointer { all in
            // Uneven chunks exercise the tails of the vector loops.
            var start = 0
            for length in [1, 7, 15, 16, 17, 999, 1000, 4096, 5000] {
                let end = min(all.count, start + length)
                summary.add(UnsafeBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
        let finite = values.filter(\.isFinite)
        XCTAssertEqual(summary.count, finite.count)
        XCTAssertEqual(summary.nan, 1)
        XCTAssertEqual(summary.inf, 2)
        XCTAssertEqual(summary.zeros, finite.filter { $0 == 0 }.count)
        XCTAssertEqual(summary.min, finite.min())
        XCTAssertEqual(summary.max, finite.max())
        XCTAssertEqual(summary.moments.mean, finite.map(Double.init).reduce(0, +) / Double(finite.count), accuracy: 1e-7)
    }

    // MARK: - Whole tensors

    /// A safetensors file with one tensor of raw little-endian `codes` of the given width.
    func codeTensor(_ dtype: String, _ codes: [UInt16], bytes: Int) throws -> WeightView {
        var data: [UInt8] = []
        for c in codes {
            data.append(UInt8(c & 0xFF))
            if bytes == 2 { data.append(UInt8(c >> 8)) }
        }
        var header = "{\"w\":{\"dtype\":\"\(dtype)\",\"shape\":[\(codes.count)],\"data_offsets\":[0,\(data.count)]}}"
        while (8 + header.utf8.count) % 8 != 0 { header += " " }
        let path = folder.write("\(dtype)-\(codes.count).safetensors", Safetensors.file(header: header, data: data))
        let model = try Model.open(path: path)
        return try model.weights(of: model.tensors[0])
    }

    func f32Tensor(_ values: [Float]) throws -> WeightView {
        let path = folder.write("f32-\(values.count)-\(UUID()).safetensors", Safetensors.file(tensors: [("w", [values.count], values)]))
        let model = try Model.open(path: path)
        return try model.weights(of: model.tensors[0])
    }

    func assertSame(_ a: TensorStats, _ b: TensorStats, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        XCTAssertEqual(a.nanCount, b.nanCount, file: file, line: line)
        XCTAssertEqual(a.infCount, b.infCount, file: file, line: line)
        XCTAssertEqual(a.zeroCount, b.zeroCount, file: file, line: line)
        XCTAssertEqual(a.min, b.min, file: file, line: line)
        XCTAssertEqual(a.max, b.max, file: file, line: line)
        XCTAssertEqual(a.maxAbs, b.maxAbs, file: file, line: line)
        XCTAssertEqual(a.histogram, b.histogram, file: file, line: line)
        XCTAssertEqual(a.mean, b.mean, accuracy: 1e-7 * max(abs(a.mean), a.std), file: file, line: line)
        XCTAssertEqual(a.std, b.std, accuracy: 1e-6 * a.std, file: file, line: line)
        XCTAssertEqual(a.kurtosis, b.kurtosis, accuracy: 1e-5 * (a.kurtosis + 3), file: file, line: line)
    }

    /// Counting codes gives what decoding every weight to f32 and taking the general path gives.
    func testCodeHistogramMatchesDecodedValues() throws {
        var rng = SplitMix64(seed: 15)
        let count = CodeHistogram.minimumCount16 + 77
        for (dtype, bytes) in [("BF16", 2), ("F16", 2), ("I16", 2), ("F8_E4M3", 1), ("F8_E5M2", 1), ("U8", 1)] {
            var codes: [UInt16] = (0..<count).map { _ in
                let w = Float(0.02 * rng.normal())
                switch dtype {
                case "BF16": return UInt16(w.bitPattern >> 16)
                case "F16": return Float16(w).bitPattern
                default: return UInt16(truncatingIfNeeded: rng.next()) & (bytes == 2 ? 0xFFFF : 0xFF)
                }
            }
            // Special codes: zeros of both signs, NaN and infinities where the type has them.
            if dtype == "BF16" { codes[5] = 0x8000; codes[6] = 0x7FC0; codes[7] = 0xFF80; codes[8] = 0x7F80 }
            if dtype == "F16" { codes[5] = 0x8000; codes[6] = 0x7E00; codes[7] = 0xFC00 }
            let view = try codeTensor(dtype, codes, bytes: bytes)
            XCTAssertTrue(CodeHistogram.applies(to: view), dtype)
            let decoded = try f32Tensor(view.toArray())
            XCTAssertFalse(CodeHistogram.applies(to: decoded))
            for bins in [1, 64, 257] {
                assertSame(StatsComputer.compute(view, bins: bins, threads: 2), StatsComputer.compute(decoded, bins: bins, threads: 2))
            }
        }
    }

    func testConstantAndTinyRangeTensors() throws {
        for values in [[Float](repeating: -2.5, count: 70_000), (0..<70_000).map { Float(bitPattern: UInt32($0 % 3)) }] {
            let stats = StatsComputer.compute(try f32Tensor(values), bins: 16)
            XCTAssertEqual(stats.histogram.counts, reference(values, Layout(lower: values.min()!, upper: values.max()!, bins: 16)))
        }
    }

    func testResultsDoNotDependOnTheThreadCount() throws {
        var rng = SplitMix64(seed: 16)
        var values: [Float] = (0..<(3 << 20) + 5).map { _ in Float(5 + rng.normal()) }
        values[12345] = .nan
        let view = try f32Tensor(values)
        let one = StatsComputer.compute(view, threads: 1)
        XCTAssertEqual(StatsComputer.compute(view, threads: 2), one)
        XCTAssertEqual(StatsComputer.compute(view, threads: 3), one)
    }
}
