import XCTest
@testable import QuantCore

final class PlanTests: XCTestCase {
    let folder = TemporaryFolder()

    func model() throws -> Model {
        let path = folder.write("m.safetensors", Safetensors.file(tensors: [
            ("blk.0.attn_q.weight", [4, 64], [Float](repeating: 0.5, count: 256)),
            ("blk.0.ffn_down.weight", [4, 64], [Float](repeating: 0.25, count: 256)),
            ("blk.1.ffn_down.weight", [2, 96], [Float](repeating: 0.25, count: 192)),
            ("norm.weight", [64], [Float](repeating: 1, count: 64)),
        ]))
        return try Model.open(path: path)
    }

    func testResolutionOrderOverridesThenLastRuleThenOneDimensionalThenDefault() throws {
        let m = try model()
        var plan = Plan(defaultSpec: try QuantSpec(parsing: "q4_0"))
        plan.rules = [
            Plan.Rule(pattern: try TensorPattern("*.ffn_down.*"), spec: try QuantSpec(parsing: "q8_0")),
            Plan.Rule(pattern: try TensorPattern("re:^blk\\.1\\."), spec: try QuantSpec(parsing: "int8-channel")),
        ]
        plan.overrides["blk.0.attn_q.weight"] = .keep
        let resolved = m.tensors.map { plan.resolve($0) }
        XCTAssertEqual(resolved.map(\.spec.description), ["keep", "q8_0", "int8-channel", "keep"])
        XCTAssertEqual(resolved.map(\.source), [.override, .rule(0), .rule(1), .keptOneDimensional])
        plan.keepOneDimensional = false
        XCTAssertEqual(plan.resolve(m.tensors[3]).spec.description, "q4_0")
    }

    func testFileRoundTripsWithStableLayout() throws {
        let m = try model()
        var plan = Plan(defaultSpec: try QuantSpec(parsing: "int4-g32"), model: ModelIdentity(m))
        plan.rules = [Plan.Rule(pattern: try TensorPattern("blk.*"), spec: try QuantSpec(parsing: "nf4"))]
        plan.overrides = ["z.weight": .keep, "a.weight": try QuantSpec(parsing: "f16")]
        let text = PlanFile.encode(plan)
        XCTAssertEqual(try PlanFile.decode(text, path: "p.json"), plan)
        XCTAssertEqual(PlanFile.encode(try PlanFile.decode(text, path: "p.json")), text, "encoding is stable")
        // Overrides are written sorted by name so plans diff well.
        XCTAssertLessThan(text.range(of: "a.weight")!.lowerBound, text.range(of: "z.weight")!.lowerBound)
    }

    func testErrorsNameTheJSONPath() {
        func message(_ text: String) -> String {
            do { _ = try PlanFile.decode(text, path: "p.json"); return "" } catch { return "\(error)" }
        }
        let head = #"{"format": "quantscope-plan", "version": 1, "#
        XCTAssertEqual(message(head + #""default": "int9"}"#), "p.json: $.default: invalid spec \"int9\": integer bit-width must be 2 to 8, not 9")
        XCTAssertEqual(message(head + #""rules": [{"match": "a", "spec": "q4_0"}, {"match": "re:(", "spec": "q4_0"}]}"#),
                       "p.json: $.rules[1].match: invalid pattern \"re:(\": not a valid regular expression")
        XCTAssertEqual(message(head + #""overrides": {"w": 3}}"#), "p.json: $.overrides[\"w\"]: must be a spec string")
        XCTAssertEqual(message(head + #""colour": "blue"}"#), "p.json: $.colour: unknown field")
        XCTAssertEqual(message(#"{"format": "quantscope-plan", "version": 2}"#), "p.json: plan format version 2 is newer than this quantscope understands (1); upgrade quantscope")
        XCTAssertEqual(message(#"{"format": "other", "version": 1}"#), "p.json: $.format: must be \"quantscope-plan\"")
        XCTAssertTrue(message("{").hasPrefix("p.json: (byte 1): invalid JSON"))
    }

    func testAtomicSaveKeepsTheBackup() throws {
        let path = folder.path("plan.json")
        let first = Plan(defaultSpec: try QuantSpec(parsing: "q8_0"))
        let second = Plan(defaultSpec: try QuantSpec(parsing: "q4_0"))
        try PlanFile.write(first, to: path)
        try PlanFile.write(second, to: path)
        XCTAssertEqual(try PlanFile.read(path: path), second)
        XCTAssertEqual(try PlanFile.read(path: path + ".bak"), first)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.contains("tmp") }
        XCTAssertEqual(leftovers, [], "no temporary files remain")
        XCTAssertThrowsError(try PlanFile.write(first, to: folder.path("missing/plan.json"))) { error in
            XCTAssertTrue("\(error)".contains("does not exist"), "\(error)")
        }
    }

    func testValidationWarnsAboutUnmatchedRulesAndAnotherModel() throws {
        let m = try model()
        var plan = Plan(defaultSpec: try QuantSpec(parsing: "q4_0"), model: ModelIdentity(fileName: "other.gguf", tensorCount: 9, parameterCount: 9, fingerprint: "x"))
        plan.rules = [Plan.Rule(pattern: try TensorPattern("decoder.*"), spec: .keep)]
        plan.overrides["ghost.weight"] = .keep
        let result = PlanValidation.check(plan, against: m)
        XCTAssertEqual(result.warnings.count, 3, "\(result.warnings)")
        XCTAssertTrue(result.isValid, "\(result.errors)")
        // Rows of 64 and 96 hold no Q4_K super-block: llama-quantize's fallback Q5_0 takes its place, with one warning.
        plan.defaultSpec = try QuantSpec(parsing: "q4_k")
        let fallback = PlanValidation.check(plan, against: m)
        XCTAssertTrue(fallback.isValid, "\(fallback.errors)")
        XCTAssertEqual(fallback.warnings.count, 4, "\(fallback.warnings)")
        XCTAssertTrue(fallback.warnings.contains("blk.0.attn_q.weight and 2 other tensors: q4_k needs rows that are a multiple of 256, not 64, 96; "
                                                 + "q5_0 is used instead, as llama-quantize does"), "\(fallback.warnings)")
        // A group size that does not divide the rows of 96 is an error.
        plan.defaultSpec = try QuantSpec(parsing: "int4-g64")
        let failing = PlanValidation.check(plan, against: m)
        XCTAssertEqual(failing.errors.count, 1)
        XCTAssertTrue(failing.errors[0].hasPrefix("blk.1.ffn_down.weight: int4-g64 (from default) cannot apply: group size 64 does not divide the row length 96"),
                      failing.errors[0])
    }

    func testSuperBlockTypesThatDoNotFitTheRowsTakeLlamaQuantizesFallback() throws {
        func tensor(rows: Int) -> TensorInfo {
            TensorInfo(name: "w", dtype: .f32, shape: [2, rows], elementCount: 2 * rows, byteCount: 8 * rows, location: .mapped(fileIndex: 0, offset: 0))
        }
        func replacement(_ spec: String, rows: Int) throws -> String? {
            LlamaQuantizeFallback.replacement(for: try QuantSpec(parsing: spec), tensor: tensor(rows: rows))?.description
        }
        // llama_tensor_get_type (src/llama-quant.cpp): the 32-weight type for each super-block type.
        let expected = ["q2_k": "iq4_nl", "q3_k": "iq4_nl", "iq4_xs": "iq4_nl", "q4_k": "q5_0", "q5_k": "q5_1", "q6_k": "q8_0"]
        for (asked, used) in expected {
            XCTAssertEqual(try replacement(asked, rows: 384), used, asked)
            XCTAssertNil(try replacement(asked, rows: 512), "\(asked) fits rows of 512")
            XCTAssertEqual(try replacement(asked, rows: 100), "f16", "\(asked): rows of 100 take no 32-weight block either")
        }
        for spec in ["q8_0", "q4_0", "int4-g128", "nf4", "keep", "fp8-e4m3"] {
            XCTAssertNil(try replacement(spec, rows: 384), spec)
        }
        var plan = Plan(defaultSpec: try QuantSpec(parsing: "q6_k"))
        plan.overrides["w"] = try QuantSpec(parsing: "q4_k")
        let resolution = plan.resolve(tensor(rows: 384))
        XCTAssertEqual(resolution.spec, try QuantSpec(parsing: "q5_0"))
        XCTAssertEqual(resolution.source, .override)
        XCTAssertEqual(resolution.fallbackFor, try QuantSpec(parsing: "q4_k"))
        XCTAssertNil(plan.resolve(tensor(rows: 768)).fallbackFor)
    }

    func testFingerprintDependsOnTensorsNotPath() throws {
        let a = try model()
        let copy = folder.path("copy.safetensors")
        try FileManager.default.copyItem(atPath: a.path, toPath: copy)
        XCTAssertEqual(ModelIdentity(a).fingerprint, ModelIdentity(try Model.open(path: copy)).fingerprint)
        let other = try Model.open(path: folder.write("o.safetensors", Safetensors.file(tensors: [("w", [2], [1, 2])])))
        XCTAssertNotEqual(ModelIdentity(a).fingerprint, ModelIdentity(other).fingerprint)
    }
}

final class WriterTests: XCTestCase {
    let folder = TemporaryFolder()

    func testGGUFOutputHoldsExactlyTheCodecBytesAndCopiesMetadata() throws {
        let source = try Model.open(path: Samples.path("minilm-l6-slice-f16.gguf"))
        var plan = Plan(defaultSpec: try QuantSpec(parsing: "q8_0"))
        plan.rules = [Plan.Rule(pattern: try TensorPattern("*.ffn_down.weight"), spec: try QuantSpec(parsing: "q4_k")),
                      Plan.Rule(pattern: try TensorPattern("*attn_v.weight"), spec: try QuantSpec(parsing: "f32"))]
        let outputs = try TensorOutput.plan(source, plan: plan, simulate: false)
        let path = folder.path("out.gguf")
        try GGUFWriter.write(source, outputs: outputs, to: path)
        let written = try Model.open(path: path)
        XCTAssertEqual(written.tensors.map(\.name), source.tensors.map(\.name))
        XCTAssertEqual(written.tensors.map(\.shape), source.tensors.map(\.shape))
        for (original, stored) in zip(source.tensors, written.tensors) {
            let spec = plan.spec(for: original)
            let bytes = Array(try written.rawBytes(of: stored))
            switch spec.family {
            case let .gguf(type):
                XCTAssertEqual(stored.dtype, .ggml(type))
                let weights = try source.weights(of: original).toArray()
                var expected = [UInt8](repeating: 0, count: stored.byteCount)
                expected.withUnsafeMutableBytes { GGMLBlockCodec.encode(type, from: weights, count: weights.count, into: $0.baseAddress!) }
                XCTAssertEqual(bytes, expected, original.name)
            case .keep:
                XCTAssertEqual(bytes, Array(try source.rawBytes(of: original)), original.name)
            default:
                XCTAssertEqual(stored.dtype, .f32)
                XCTAssertEqual(try written.weights(of: stored).toArray(), try source.weights(of: original).toArray())
            }
        }
        let keys = written.metadata.map(\.key)
        for entry in source.metadata where entry.key != "general.file_type" {
            XCTAssertEqual(written.metadata.first { $0.key == entry.key }?.value, entry.value, entry.key)
        }
        XCTAssertEqual(written.metadata.first { $0.key == "general.file_type" }?.value, .uint(7), "mostly Q8_0")
        XCTAssertTrue(keys.contains("general.quantization_version"))
    }

    func testSpecsWithoutAGGUFTypeAreRefusedUnlessSimulated() throws {
        let source = try Model.open(path: Samples.path("digits-mlp.safetensors"))
        let plan = Plan(defaultSpec: try QuantSpec(parsing: "int4-g32"))
        XCTAssertThrowsError(try TensorOutput.plan(source, plan: plan, simulate: false)) { error in
            XCTAssertTrue("\(error)".contains("no GGUF type stores fc1.weight (int4-g32)"), "\(error)")
            XCTAssertTrue("\(error)".contains("--simulate"), "\(error)")
        }
        let outputs = try TensorOutput.plan(source, plan: plan, simulate: true, forGGUF: false)
        let path = folder.path("sim.safetensors")
        try SafetensorsWriter.write(source, outputs: outputs, metadata: ["k": "v"], to: path)
        let written = try Model.open(path: path)
        for tensor in source.tensors where tensor.shape.count == 2 {
            let view = try source.weights(of: tensor)
            let quantizer = try Quantizer.make(plan.spec(for: tensor), for: view, stats: nil)
            let expected = quantizer.decode(view.toArray().withUnsafeBufferPointer { quantizer.encode($0) })
            XCTAssertEqual(try written.weights(of: written.tensor(named: tensor.name)!).toArray(), expected, tensor.name)
        }
    }

    func testFailedWritesLeaveNothingBehind() throws {
        let source = try Model.open(path: Samples.path("digits-mlp.safetensors"))
        let outputs = try TensorOutput.plan(source, plan: Plan(defaultSpec: try QuantSpec(parsing: "q8_0")), simulate: false)
        XCTAssertThrowsError(try GGUFWriter.write(source, outputs: outputs, to: folder.path("nope/out.gguf")))
        let cancellation = Cancellation()
        cancellation.cancel()
        XCTAssertThrowsError(try GGUFWriter.write(source, outputs: outputs, to: folder.path("out.gguf"), cancellation: cancellation)) { error in
            XCTAssertTrue(error is CancelledError)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.url.path), [], "neither the output nor a temporary file remains")
    }
}
