import XCTest
@testable import QuantCore

/// The fused integer kernel against the scalar reference: eight-unit parameter lanes against
/// `scaleAndZero`, and measured error against the reference encoding on groups built to make clamps act
/// (asymmetric zero-point ties, fp16 scales rounded down into the subnormal range).
final class IntegerKernelTests: XCTestCase {
    let folder = TemporaryFolder()

    /// Magnitudes from 1e-9 to 1e5: fp16 subnormal scales, normal ones, and scales that overflow fp16.
    static func awkwardMagnitude(_ rng: inout SplitMix64) -> Float {
        Float(pow(10, Double.random(in: -9...5, using: &rng)))
    }

    func testParameterLanesEqualTheScalarParametersBitForBit() throws {
        var rng = SplitMix64(seed: 11)
        let tensor = TensorInfo(name: "w", dtype: .f32, shape: [8, 64], elementCount: 512, byteCount: 512 * 4, location: .mapped(fileIndex: 0, offset: 0))
        for text in ["int8-g8", "int4-g8-f16scale", "int2-g8-f16scale", "int3-asym-g8", "int4-asym-g8-f16scale", "int8-asym-g8-f16scale"] {
            let spec = try QuantSpec(parsing: text)
            guard case let .integer(p) = spec.family else { return XCTFail() }
            let context = TensorContext(tensor: tensor, absMax: 1, min: -1, max: 1, values: nil)
            let quantizer = try IntegerQuantizer(parameters: p, context: context, spec: spec)
            for _ in 0..<2000 {
                var lo = SIMD8<Float>(), hi = SIMD8<Float>()
                for j in 0..<8 {
                    let a = Self.awkwardMagnitude(&rng) * (Bool.random(using: &rng) ? 1 : -1)
                    let b = j % 3 == 0 ? a * Float.random(in: 0...1, using: &rng) : Self.awkwardMagnitude(&rng)
                    // A ratio of exactly half a step between -lo and the scale makes the zero-point a tie.
                    lo[j] = Swift.min(a, b); hi[j] = j == 5 ? 0 : Swift.max(a, b)
                }
                let lanes = p.symmetric
                    ? IntegerUnitLanes(absMax: hi.replacing(with: -lo, where: -lo .> hi), qmax: quantizer.qmax, f16Scale: p.scale == .f16)
                    : IntegerUnitLanes(min: lo, max: hi, qmax: quantizer.qmax, f16Scale: p.scale == .f16)
                for j in 0..<8 {
                    let m = Swift.max(-lo[j], hi[j])
                    let (s, z) = p.symmetric ? quantizer.scaleAndZero(lo: -m, hi: m) : quantizer.scaleAndZero(lo: Swift.min(lo[j], 0), hi: Swift.max(hi[j], 0))
                    let expected = IntegerKernel.UnitParameters(scale: s, zero: z, qmin: quantizer.qmin, qmax: quantizer.qmax)
                    let context = "\(text) lo \(lo[j]) hi \(hi[j])"
                    XCTAssertEqual(lanes.scale[j].bitPattern, expected.scale.bitPattern, context)
                    XCTAssertEqual(lanes.inverse[j].bitPattern, expected.inverse.bitPattern, context)
                    XCTAssertEqual(lanes.lowest[j], expected.lowest, context)
                    XCTAssertEqual(lanes.highest[j], expected.highest, context)
                    // Clamp-free must be a proof: the extreme weights' codes lie inside the range.
                    if lanes.clampFree[j] == 1 {
                        let bottom = (lo[j] * expected.inverse).rounded(.toNearestOrEven), top = (hi[j] * expected.inverse).rounded(.toNearestOrEven)
                        XCTAssertTrue(bottom >= expected.lowest && top <= expected.highest, context)
                    }
                }
            }
        }
    }

    /// Groups where clamps act and where they do not, short and long units, lengths that are not a multiple
    /// of eight: the fused measure must report exactly the reference's largest error and count, and its
    /// sums to Float-accumulation accuracy.
    func testFusedMeasureEqualsTheReferenceWhereClampsAct() throws {
        var rng = SplitMix64(seed: 5)
        for (rows, columns) in [(24, 64), (6, 2048), (9, 1100), (16, 24)] {
            var values = [Float](repeating: 0, count: rows * columns)
            for r in 0..<rows {
                let magnitude = Self.awkwardMagnitude(&rng)
                for c in 0..<columns { values[r * columns + c] = magnitude * Float(rng.normal()) }
                // Asymmetric ties: −lo/s = k + ½ with s = (hi − lo)/15 puts round(hi/s) one past qmax − z.
                // With a power-of-two magnitude every step is exact and the tie is exact.
                if r % 3 == 0 {
                    let step = Float(sign: .plus, exponent: magnitude.exponent, significand: 1)
                    values[r * columns] = -3.5 * step; values[r * columns + 1] = 11.5 * step
                }
            }
            let groups = columns % 16 == 0 ? ["int4-asym-g16", "int4-asym-g16-f16scale", "int2-g16-f16scale", "int3-g8-f16scale", "int8-asym-g8"] : ["int4-asym-g4-f16scale"]
            // f16 and bf16 share the fused lanes (and their tail path on 9×1100).
            let specs = groups + ["int4-asym-channel", "int3-asym-channel-f16scale", "int2-channel-f16scale", "int8-channel", "int8-asym", "f16", "bf16"]
            try assertMeasureEqualsReference(values, rows: rows, columns: columns, specs: specs)
        }
    }

    /// Groups measured eight at a time with the next batch's range pass fused in (`IntegerGroupBatches`): the
    /// specialised lengths 32, 64 and 128 and others (24, 40, 8), group counts that are not a multiple of eight
    /// (a partial last batch, and a last full batch without a full one after it), and rows where clamps act.
    func testGroupBatchesEqualTheReference() throws {
        var rng = SplitMix64(seed: 23)
        for (rows, columns, lengths) in [(5, 352, [32, 8]), (7, 192, [64, 32, 24]), (3, 384, [128, 32, 24]), (17, 128, [128, 64]), (4, 840, [40, 24, 8])] {
            var values = [Float](repeating: 0, count: rows * columns)
            for r in 0..<rows {
                // A new magnitude every 24 weights, so that neighbouring groups get different scales.
                var magnitude: Float = 1, first: Float = 1
                for c in 0..<columns {
                    if c % 24 == 0 { magnitude = Self.awkwardMagnitude(&rng); if c == 0 { first = magnitude } }
                    values[r * columns + c] = magnitude * Float(rng.normal())
                }
                if r % 2 == 0 {
                    // An asymmetric zero-point tie in the row's first group (see above), so a clamp acts there.
                    let step = Float(sign: .plus, exponent: first.exponent, significand: 1)
                    for c in 0..<8 { values[r * columns + c] = step }
                    values[r * columns] = -3.5 * step; values[r * columns + 1] = 11.5 * step
                }
            }
            var specs: [String] = []
            for g in lengths { specs += ["int4-g\(g)", "int4-asym-g\(g)", "int4-g\(g)-f16scale", "int4-asym-g\(g)-f16scale", "int2-g\(g)-f16scale"] }
            try assertMeasureEqualsReference(values, rows: rows, columns: columns, specs: specs)
        }
        // Many batches of similar scales: most are measured without tracking the largest error (their bound lies
        // below it), so a bound that is too tight loses the true largest error.
        var values = [Float](repeating: 0, count: 96 * 512)
        for i in values.indices { values[i] = Float(rng.normal()) }
        try assertMeasureEqualsReference(values, rows: 96, columns: 512,
                                         specs: ["int4-g32", "int4-asym-g64", "int4-g128-f16scale", "int8-asym-g32", "int3-g64-f16scale"])
    }

    /// The fused measure of each spec against the reference encoding: exactly the same largest error and count,
    /// and the sums to Float-accumulation accuracy.
    func assertMeasureEqualsReference(_ values: [Float], rows: Int, columns: Int, specs: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let path = folder.write("k\(rows)x\(columns).safetensors", Safetensors.file(tensors: [("w", [rows, columns], values)]))
        let model = try Model.open(path: path)
        let view = try model.weights(of: model.tensors[0])
        for text in specs {
            let spec = try QuantSpec(parsing: text)
            let quantizer = try Quantizer.make(spec, for: view, stats: nil)
            let decoded = quantizer.decode(values.withUnsafeBufferPointer { quantizer.encode($0) })
            let result = try Quantizer.evaluate(view, spec: spec)
            var sse = 0.0, qq = 0.0, maxError: Float = 0
            for (w, q) in zip(values, decoded) {
                let e = q - w
                sse += Double(e) * Double(e); qq += Double(q) * Double(q); maxError = Swift.max(maxError, abs(e))
            }
            let context = "\(text) on \(rows)×\(columns)"
            XCTAssertEqual(result.error.count, values.count, context, file: file, line: line)
            XCTAssertEqual(result.error.maxAbsError, Double(maxError), context, file: file, line: line)
            XCTAssertEqual(result.error.sumSquaredError, sse, accuracy: sse * 1e-5, context, file: file, line: line)
            XCTAssertEqual(result.error.sumSquaredDequantized, qq, accuracy: qq * 1e-5, context, file: file, line: line)
        }
    }
}
