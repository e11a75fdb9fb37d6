import Foundation
import QuantCore
import XCTest

final class PlanCommandTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("qs-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func run(_ arguments: [String], expecting status: Int32 = 0, file: StaticString = #filePath, line: UInt = #line) throws -> Binary.Result {
        let result = try Binary.run(arguments, in: folder)
        XCTAssertEqual(result.status, status, "quantscope \(arguments.joined(separator: " "))\n\(result.stdout)\n\(result.stderr)", file: file, line: line)
        return result
    }

    func writePlan(_ text: String, to name: String = "plan.json") -> String {
        XCTAssertTrue(FileManager.default.createFile(atPath: path(name), contents: Data(text.utf8)), "cannot write \(name)")
        return path(name)
    }

    func testAppliedGGUFLoadsInGGUFPyWithEveryTensorAsPlanned() throws {
        let model = Binary.sample("minilm-l6-slice-f16.gguf")
        let plan = writePlan("""
        {"format": "quantscope-plan", "version": 1, "default": "q8_0",
         "rules": [{"match": "blk.*.ffn_down.weight", "spec": "q4_k"}, {"match": "blk.1.ffn_up.weight", "spec": "q5_0"},
                   {"match": "re:attn_[qk]\\\\.weight$", "spec": "q5_1"}, {"match": "token_types.weight", "spec": "f16"},
                   {"match": "blk.0.attn_output.weight", "spec": "q6_k"}, {"match": "blk.1.attn_v.weight", "spec": "q3_k"}],
         "overrides": {"blk.0.attn_v.weight": "q4_1"}}
        """)
        _ = try run(["apply", model, "--plan", plan, "-o", path("out.gguf")])
        _ = try run(["apply", model, "--plan", plan, "-o", path("expected.safetensors"), "--simulate"])
        guard let python = Binary.pythonWithGGUF() else {
            if ProcessInfo.processInfo.environment["CI"] != nil { return XCTFail("CI must have python3 with the gguf package (.ci/run installs it)") }
            throw XCTSkip("python3 with the gguf package is not installed")
        }
        let check = try Binary.runScript("check_gguf.py", [path("out.gguf"), path("expected.safetensors")], python: python)
        XCTAssertEqual(check.status, 0)
        let report = try JSONParser.parse(check.output)
        XCTAssertEqual(report["tensors"]?.intValue, 37)
        XCTAssertEqual(report["mismatches"]?.arrayValue, [], "gguf-py's dequantisation differs from quantscope's")
        let types = report["types"]
        XCTAssertEqual(types?["blk.0.ffn_down.weight"]?.stringValue, "Q4_K")
        XCTAssertEqual(types?["blk.1.ffn_up.weight"]?.stringValue, "Q5_0")
        XCTAssertEqual(types?["blk.1.attn_q.weight"]?.stringValue, "Q5_1")
        XCTAssertEqual(types?["blk.0.attn_v.weight"]?.stringValue, "Q4_1")
        XCTAssertEqual(types?["token_types.weight"]?.stringValue, "F16")
        // Rows of 384 hold no 256-weight super-block: llama-quantize's fallbacks, Q6_K → Q8_0 and Q3_K → IQ4_NL.
        XCTAssertEqual(types?["blk.0.attn_output.weight"]?.stringValue, "Q8_0")
        XCTAssertEqual(types?["blk.1.attn_v.weight"]?.stringValue, "IQ4_NL")
        XCTAssertEqual(types?["blk.1.attn_output.weight"]?.stringValue, "Q8_0")
        XCTAssertEqual(types?["blk.0.attn_output_norm.weight"]?.stringValue, "F32")
        XCTAssertEqual(report["metadata"]?["general.architecture"]?.stringValue, "bert")
        XCTAssertEqual(report["metadata"]?["general.quantization_version"]?.intValue, 2)
        XCTAssertEqual(report["metadata"]?["general.file_type"]?.intValue, 7)
    }

    func testPlanLifecycleInitShowValidateDiffExport() throws {
        let model = Binary.sample("digits-mlp.safetensors")
        _ = try run(["plan", "init", model, "-o", path("a.json"), "--spec", "int8-channel"])
        let a = try PlanFile.read(path: path("a.json"))
        XCTAssertEqual(a.defaultSpec.description, "int8-channel")
        XCTAssertEqual(a.model?.fileName, "digits-mlp.safetensors")
        let refused = try run(["plan", "init", model, "-o", path("a.json")], expecting: 1)
        XCTAssertTrue(refused.stderr.contains("already exists; use --force"), refused.stderr)

        let show = try run(["plan", "show", path("a.json"), "--model", model])
        XCTAssertTrue(show.stdout.contains("fc1.weight  [256, 64]   int8-channel  default"), show.stdout)
        XCTAssertTrue(show.stdout.contains("fc1.bias    [256]       keep          1-D/non-float kept"), show.stdout)

        var b = a
        b.rules.append(Plan.Rule(pattern: try TensorPattern("fc2.*"), spec: try QuantSpec(parsing: "int4-g32")))
        try PlanFile.write(b, to: path("b.json"))
        let diff = try run(["plan", "diff", path("a.json"), path("b.json"), "--model", model])
        XCTAssertTrue(diff.stdout.contains("1 tensor(s) change their spec"), diff.stdout)
        XCTAssertTrue(diff.stdout.contains("fc2.weight  int8-channel  int4-g32"), diff.stdout)
        XCTAssertTrue(diff.stdout.contains("-12.50 KiB"), diff.stdout)

        _ = try run(["plan", "validate", path("b.json"), "--model", model])
        let wrongModel = try run(["plan", "validate", path("b.json"), "--model", Binary.sample("minilm-l6-slice-f16.gguf")])
        XCTAssertTrue(wrongModel.stdout.contains("warning: the plan was made for digits-mlp.safetensors"), wrongModel.stdout)
        XCTAssertTrue(wrongModel.stdout.contains("warning: rule 1 (fc2.* → int4-g32) matches no tensor"), wrongModel.stdout)

        let json = try run(["export", path("b.json"), "--to", "json"])
        XCTAssertEqual(try PlanFile.decode(json.stdout, path: "stdout"), b)
        let notGGUF = try run(["export", path("b.json"), "--to", "llama-quantize", "--model", model], expecting: 1)
        XCTAssertTrue(notGGUF.stderr.contains("llama.cpp has no type for fc1.weight (int8-channel)"), notGGUF.stderr)
    }

    func testLlamaQuantizeExportAnchorsExactNames() throws {
        let model = Binary.sample("minilm-l6-slice-f16.gguf")
        let plan = writePlan(#"{"format": "quantscope-plan", "version": 1, "default": "q4_0", "rules": [{"match": "*ffn_down*", "spec": "q6_k"}]}"#)
        let result = try run(["export", plan, "--to", "llama-quantize", "--model", model, "-o", path("types.txt")])
        let lines = try String(contentsOfFile: path("types.txt"), encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(lines.contains("^blk\\.0\\.ffn_down\\.weight$=q6_k"), "\(lines)")
        XCTAssertTrue(lines.contains("^blk\\.0\\.ffn_up\\.weight$=q4_0"))
        XCTAssertTrue(lines.contains("^blk\\.0\\.ffn_down\\.bias$=f32"), "kept tensors are pinned to their type")
        XCTAssertTrue(result.stdout.contains("llama-quantize --tensor-type-file \(path("types.txt"))"), result.stdout)
    }

    func testApplyRefusesWhatItCannotDoAndWritesNothing() throws {
        let model = Binary.sample("digits-mlp.safetensors")
        let plan = writePlan(#"{"format": "quantscope-plan", "version": 1, "default": "nf4"}"#)
        let refused = try run(["apply", model, "--plan", plan, "-o", path("out.gguf")], expecting: 1)
        XCTAssertTrue(refused.stderr.contains("no GGUF type stores"), refused.stderr)
        let badRow = writePlan(#"{"format": "quantscope-plan", "version": 1, "default": "q4_0", "keep_1d": false}"#, to: "k.json")
        let rows = try run(["apply", model, "--plan", badRow, "-o", path("out.gguf")], expecting: 1)
        XCTAssertTrue(rows.stderr.contains("fc3.bias: q4_0 (from default) cannot apply: the row length 10 is not a multiple of the Q4_0 block size 32"), rows.stderr)
        let missingFolder = try run(["apply", model, "--plan", plan, "-o", path("no/such/out.gguf"), "--simulate"], expecting: 1)
        XCTAssertTrue(missingFolder.stderr.contains("does not exist"), missingFolder.stderr)
        let badPlan = writePlan(#"{"format": "quantscope-plan", "version": 1, "rules": [{"match": "fc*", "spec": "int12"}]}"#, to: "bad.json")
        let invalid = try run(["apply", model, "--plan", badPlan, "-o", path("out.gguf")], expecting: 1)
        XCTAssertEqual(invalid.stderr, "quantscope: \(badPlan): $.rules[0].spec: invalid spec \"int12\": integer bit-width must be 2 to 8, not 12\n")
        let entries = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(entries, ["bad.json", "k.json", "plan.json"], "no output or temporary file was left")
        // The simulated GGUF path works for the same plan.
        _ = try run(["apply", model, "--plan", plan, "-o", path("sim.gguf"), "--simulate"])
        XCTAssertEqual(try Model.open(path: path("sim.gguf")).tensors.first?.dtype, .f32)
    }
}
