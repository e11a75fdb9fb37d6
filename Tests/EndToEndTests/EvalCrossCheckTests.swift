import Foundation
import QuantCore
import XCTest

/// `quantscope eval` against an independent numpy computation (Scripts/numpy_eval.py, written from the
/// spec grammar's definitions) on the bundled safetensors model: sizes exactly, errors to float precision.
final class EvalCrossCheckTests: XCTestCase {
    static let specs = ["int8", "int8-asym-channel", "int4-g32", "int4-asym-g64-f16scale", "int3-channel", "nf4", "fp8-e4m3", "fp8-e4m3-channel"]

    func testEvalMatchesNumpyForIntegerNF4AndFP8() throws {
        guard let python = Binary.pythonWithGGUF() else {
            if ProcessInfo.processInfo.environment["CI"] != nil { return XCTFail("CI must have python3 with numpy (.ci/run installs it)") }
            throw XCTSkip("python3 with numpy is not installed")
        }
        let model = Binary.sample("digits-mlp-wide.safetensors")
        let numpy = try Binary.runScript("numpy_eval.py", [model] + Self.specs, python: python)
        XCTAssertEqual(numpy.status, 0)
        let reference = try JSONParser.parse(numpy.output)

        for spec in Self.specs {
            let result = try Binary.run(["eval", model, "--spec", spec, "--json"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let report = try JSONParser.parse(result.stdout)
            var compared = 0
            for tensor in report["tensors"]?.arrayValue ?? [] {
                guard let name = tensor["name"]?.stringValue, let expected = reference[spec]?[name] else { continue }
                let measured = try XCTUnwrap(tensor["results"]?.arrayValue?.first)
                let label = "\(spec) \(name)"
                XCTAssertEqual(measured["spec"]?.stringValue, spec, label)
                XCTAssertEqual(measured["bytes"]?.intValue, expected["bytes"]?.intValue, "\(label): stored bytes")
                let mse = try XCTUnwrap(expected["mse"]?.doubleValue), maxError = try XCTUnwrap(expected["max_abs_error"]?.doubleValue)
                XCTAssertEqual(try XCTUnwrap(measured["mse"]?.doubleValue), mse, accuracy: mse * 1e-5, "\(label): MSE")
                XCTAssertEqual(try XCTUnwrap(measured["max_abs_error"]?.doubleValue), maxError, accuracy: maxError * 1e-6, "\(label): max |error|")
                XCTAssertEqual(try XCTUnwrap(measured["sqnr_db"]?.doubleValue), try XCTUnwrap(expected["sqnr_db"]?.doubleValue), accuracy: 1e-4, "\(label): SQNR")
                XCTAssertEqual(try XCTUnwrap(measured["cosine"]?.doubleValue), try XCTUnwrap(expected["cosine"]?.doubleValue), accuracy: 1e-6, "\(label): cosine")
                compared += 1
            }
            XCTAssertEqual(compared, 3, "\(spec): the three weight matrices of the sample are compared")
        }
    }
}
