import XCTest
@testable import QuantCore

/// Property tests of integer affine quantisation on generated weights, against the scalar reference encoding.
final class IntegerQuantizerTests: XCTestCase {
    let folder = TemporaryFolder()

    static func weights(_ kind: Int, count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { i in
            switch kind {
            case 0: return Float(0.02 * rng.normal())
            case 1: return Float(0.02 * rng.normal() / Swift.max(0.1, abs(rng.normal())))
            case 2: return i % 5 == 0 ? 0 : Float(rng.normal() + 0.5)
            default: return Float(Double.random(in: -1...1, using: &rng))
            }
        }
    }

    func view(_ values: [Float], shape: [Int]) throws -> WeightView {
        let path = folder.write("w\(values.count)-\(shape.count).safetensors", Safetensors.file(tensors: [("w", shape, values)]))
        let model = try Model.open(path: path)
        return try model.weights(of: model.tensors[0])
    }

    static let specs = ["int8", "int8-asym", "int8-channel", "int4-g32", "int4-asym-g32", "int4-g32-f16scale", "int3-asym-channel",
                        "int2-g16", "int5-g32-mse", "int4-asym-g32-mse", "int4-channel-p99", "int6-asym-p99.5", "int4-mse"]

    func testFastPathEqualsTheReferenceEncodingBitForBit() throws {
        for kind in 0..<4 {
            let values = Self.weights(kind, count: 64 * 96, seed: UInt64(kind + 10))
            let view = try view(values, shape: [64, 96])
            for text in Self.specs {
                let spec = try QuantSpec(parsing: text)
                let quantizer = try Quantizer.make(spec, for: view, stats: nil)
                let encoded = values.withUnsafeBufferPointer { quantizer.encode($0) }
                XCTAssertEqual(encoded.count, quantizer.storedBytes, "\(text): size formula vs real encoding")
                let decoded = quantizer.decode(encoded)
                var fast = [Float](repeating: .nan, count: values.count)
                values.withUnsafeBufferPointer { x in
                    fast.withUnsafeMutableBufferPointer { y in
                        var start = 0
                        let chunk = quantizer.unitLength * Swift.max(1, 1000 / quantizer.unitLength)
                        while start < values.count {
                            let n = Swift.min(chunk, values.count - start)
                            quantizer.fakeQuantize(x.baseAddress! + start, count: n, start: start, into: y.baseAddress! + start)
                            start += n
                        }
                    }
                }
                let mismatches = zip(fast, decoded).filter { $0.bitPattern != $1.bitPattern }.count
                XCTAssertEqual(mismatches, 0, "\(text) kind \(kind): fast path differs from the reference in \(mismatches) values")
                // The driver's error sums must equal a direct Double computation over the reference values.
                let result = try Quantizer.evaluate(view, spec: spec)
                var sse = 0.0, maxError = 0.0, ww = 0.0, qq = 0.0, wq = 0.0
                for (w, q) in zip(values, decoded) {
                    let e = Double(q) - Double(w)
                    sse += e * e; maxError = Swift.max(maxError, abs(e))
                    ww += Double(w) * Double(w); qq += Double(q) * Double(q); wq += Double(w) * Double(q)
                }
                XCTAssertEqual(result.error.mse, sse / Double(values.count), accuracy: 1e-6 * sse / Double(values.count) + 1e-30, text)
                XCTAssertEqual(result.error.maxAbsError, maxError, accuracy: maxError * 1e-6, text)
                XCTAssertEqual(result.error.sqnr, 10 * log10(ww / sse), accuracy: 1e-4, text)
                XCTAssertEqual(result.error.cosine, wq / (ww * qq).squareRoot(), accuracy: 1e-6, text)
                XCTAssertEqual(result.storedBytes, encoded.count)
            }
        }
    }

    /// Units whose length is not a multiple of the kernel's eight lanes (channels of 100, groups of 4) take its tail path.
    func testMeasuredErrorOfOddLengthUnitsMatchesTheReference() throws {
        let values = Self.weights(1, count: 12 * 100, seed: 77)
        let view = try view(values, shape: [12, 100])
        for text in ["int8-channel", "int3-asym-channel", "int4-g4", "int5-asym-g20-f16scale", "int8", "fp8-e4m3", "nf4-g20"] {
            let spec = try QuantSpec(parsing: text)
            let quantizer = try Quantizer.make(spec, for: view, stats: nil)
            let decoded = quantizer.decode(values.withUnsafeBufferPointer { quantizer.encode($0) })
            let result = try Quantizer.evaluate(view, spec: spec)
            var sse = 0.0, maxError = 0.0
            for (w, q) in zip(values, decoded) { let e = Double(q) - Double(w); sse += e * e; maxError = Swift.max(maxError, abs(e)) }
            XCTAssertEqual(result.error.count, values.count, text)
            XCTAssertEqual(result.error.mse, sse / Double(values.count), accuracy: 1e-6 * sse / Double(values.count), text)
            XCTAssertEqual(result.error.maxAbsError, maxError, accuracy: maxError * 1e-6, text)
        }
    }

    /// A per-tensor scheme on a tensor larger than its chunking unit (65,536) and not a multiple of it:
    /// every weight must be measured (the last partial unit was once left out).
    func testPerTensorSchemesMeasureEveryWeightOfALargeTensor() throws {
        let values = Self.weights(0, count: 300 * 250, seed: 5)
        let view = try view(values, shape: [300, 250])
        for text in ["int8", "int4-asym", "fp8-e5m2", "int6-p99"] {
            let spec = try QuantSpec(parsing: text)
            let quantizer = try Quantizer.make(spec, for: view, stats: nil)
            let decoded = quantizer.decode(values.withUnsafeBufferPointer { quantizer.encode($0) })
            let result = try Quantizer.evaluate(view, spec: spec)
            var sse = 0.0, ww = 0.0, qq = 0.0, wq = 0.0
            for (w, q) in zip(values, decoded) {
                let e = Double(q) - Double(w)
                sse += e * e; ww += Double(w) * Double(w); qq += Double(q) * Double(q); wq += Double(w) * Double(q)
            }
            XCTAssertEqual(result.error.count, values.count, text)
            XCTAssertEqual(result.error.mse, sse / Double(values.count), accuracy: 1e-6 * sse / Double(values.count), text)
            XCTAssertEqual(result.error.cosine, wq / (ww * qq).squareRoot(), accuracy: 1e-6, text)
        }
    }

    func testValuesInsideTheClipRangeAreWithinHalfAStep() throws {
        for kind in 0..<4 {
            let values = Self.weights(kind, count: 32 * 64, seed: UInt64(kind + 20))
            let view = try view(values, shape: [32, 64])
            for text in ["int8", "int4-g32", "int4-asym-g32", "int3-channel", "int2-asym-g16"] {
                let spec = try QuantSpec(parsing: text)
                guard case let .integer(p) = spec.family else { return XCTFail() }
                let quantizer = try XCTUnwrap(Quantizer.make(spec, for: view, stats: nil) as? IntegerQuantizer)
                let decoded = quantizer.decode(values.withUnsafeBufferPointer { quantizer.encode($0) })
                let unit = p.granularity == .tensor ? values.count : quantizer.unitLength
                for start in stride(from: 0, to: values.count, by: unit) {
                    let x = Array(values[start..<start + unit])
                    let (lo, hi) = values.withUnsafeBufferPointer { quantizer.unitRange($0.baseAddress! + start, unit) }
                    let (scale, _) = quantizer.scaleAndZero(lo: lo, hi: hi)
                    for (i, w) in x.enumerated() where w >= lo && w <= hi {
                        XCTAssertLessThanOrEqual(abs(decoded[start + i] - w), scale / 2 * 1.0001, "\(text): \(w) → \(decoded[start + i]) (step \(scale))")
                    }
                }
            }
        }
    }

    func testZeroMapsToZeroAndRequantisingIsIdempotent() throws {
        let values = Self.weights(2, count: 16 * 64, seed: 3)
        XCTAssertTrue(values.contains(0))
        for text in ["int8", "int8-asym", "int4-g32", "int4-asym-g32", "int3-asym-channel", "int4-g64-f16scale"] {
            let spec = try QuantSpec(parsing: text)
            let view1 = try view(values, shape: [16, 64])
            let q1 = try Quantizer.make(spec, for: view1, stats: nil)
            let once = q1.decode(values.withUnsafeBufferPointer { q1.encode($0) })
            for (w, q) in zip(values, once) where w == 0 { XCTAssertEqual(q, 0, "\(text) must map 0 to exactly 0") }
            // Quantising the dequantised tensor again gives the same codes (the recomputed scale may differ in its last bit).
            let view2 = try view(once, shape: [16, 64])
            let q2 = try XCTUnwrap(Quantizer.make(spec, for: view2, stats: nil) as? IntegerQuantizer)
            let firstBytes = values.withUnsafeBufferPointer { q1.encode($0) }
            let secondBytes = once.withUnsafeBufferPointer { q2.encode($0) }
            let codeBytes = (values.count * q2.bits + 7) / 8
            XCTAssertEqual(Array(firstBytes.prefix(codeBytes)), Array(secondBytes.prefix(codeBytes)), "\(text): codes changed on requantising")
            let zeroBytes = q2.symmetric ? 0 : (q2.unitCount * q2.bits + 7) / 8
            XCTAssertEqual(Array(firstBytes.suffix(zeroBytes)), Array(secondBytes.suffix(zeroBytes)), "\(text): zero-points changed")
            let twice = q2.decode(secondBytes)
            for (a, b) in zip(once, twice) { XCTAssertEqual(a, b, accuracy: Swift.max(abs(a), 1e-30) * 1e-6, text) }
        }
    }

    func testExactSizes() throws {
        let view = try view([Float](repeating: 0.5, count: 10 * 96), shape: [10, 96])
        func bytes(_ text: String) throws -> Int { try Quantizer.evaluate(view, spec: QuantSpec(parsing: text)).storedBytes }
        XCTAssertEqual(try bytes("int8"), 960 + 4)
        XCTAssertEqual(try bytes("int8-asym-channel"), 960 + 10 * 4 + 10)
        XCTAssertEqual(try bytes("int4-g32"), 480 + 30 * 4)
        XCTAssertEqual(try bytes("int4-asym-g32-f16scale"), 480 + 30 * 2 + 15)
        XCTAssertEqual(try bytes("int3-g32"), 360 + 30 * 4)
        XCTAssertEqual(try bytes("f16"), 1920)
        XCTAssertEqual(try bytes("keep"), 3840)
    }

    func testGroupThatDoesNotDivideTheRowIsAClearError() throws {
        let view = try view([Float](repeating: 1, count: 2 * 48), shape: [2, 48])
        XCTAssertThrowsError(try Quantizer.evaluate(view, spec: QuantSpec(parsing: "int4-g32"))) { error in
            XCTAssertEqual("\(error)", "cannot apply int4-g32 to w: group size 32 does not divide the row length 48")
        }
    }

    func testNonFiniteInputsAreCountedAndExcluded() throws {
        var values = Self.weights(0, count: 8 * 64, seed: 9)
        values[3] = .nan; values[100] = .infinity
        let view = try view(values, shape: [8, 64])
        let result = try Quantizer.evaluate(view, spec: QuantSpec(parsing: "int8-g32"))
        XCTAssertEqual(result.error.nonFiniteCount, 2)
        XCTAssertEqual(result.error.count, values.count - 2)
        XCTAssertTrue(result.error.mse.isFinite)
        XCTAssertGreaterThan(result.error.sqnr, 30)
    }

    func testMSESearchNeverDoesWorseThanMinMax() throws {
        for kind in 0..<3 {
            let values = Self.weights(kind, count: 64 * 64, seed: UInt64(kind + 40))
            let view = try view(values, shape: [64, 64])
            for (plain, searched) in [("int3-g32", "int3-g32-mse"), ("int4-asym-channel", "int4-asym-channel-mse"), ("int4", "int4-mse")] {
                let a = try Quantizer.evaluate(view, spec: QuantSpec(parsing: plain)).error.mse
                let b = try Quantizer.evaluate(view, spec: QuantSpec(parsing: searched)).error.mse
                XCTAssertLessThanOrEqual(b, a * (1 + 1e-6), "\(searched) vs \(plain), kind \(kind)")
            }
        }
    }

    func testHistogramsOfDequantisedValuesAndErrors() throws {
        let values = Self.weights(0, count: 32 * 64, seed: 5)
        let view = try view(values, shape: [32, 64])
        let result = try Quantizer.evaluate(view, spec: QuantSpec(parsing: "int3-g32"), histogramBins: 40)
        let dq = try XCTUnwrap(result.dequantizedHistogram), err = try XCTUnwrap(result.errorHistogram)
        XCTAssertEqual(dq.total, values.count)
        XCTAssertEqual(err.total, values.count)
        // 3-bit symmetric codes: at most 7 distinct values per group, so the dequantised histogram is spiky.
        XCTAssertLessThan(dq.counts.filter { $0 > 0 }.count, 40)
        XCTAssertEqual(err.upper, result.error.maxAbsError)
    }
}
