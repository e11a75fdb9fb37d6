import Foundation
import QuantCore
import XCTest

final class InspectCommandTests: XCTestCase {
    func testWithoutATerminalTheExplorerPointsToInspect() throws {
        let result = try Binary.run([], in: FileManager.default.temporaryDirectory)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "quantscope: the explorer needs a terminal; try `quantscope inspect`\n")
        XCTAssertEqual(result.stdout, "")
    }

    func testInspectWithoutAModelUsesTheBundledSampleFromAnyFolder() throws {
        let result = try Binary.run(["inspect"], in: FileManager.default.temporaryDirectory)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("digits-mlp.safetensors"), result.stdout)
        XCTAssertTrue(result.stdout.contains("fc1.weight  F32    [256, 64]"), result.stdout)
        XCTAssertTrue(result.stdout.contains("total: 6 tensors, 50,826 parameters, 198.5 KiB"), result.stdout)
        XCTAssertEqual(result.stderr, "")
    }

    func testJSONIsStableAndMatchesTheModel() throws {
        let path = Binary.sample("minilm-l6-slice-f16.gguf")
        let result = try Binary.run(["inspect", path, "--json", "--stats", "--filter", "blk.1.*"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try JSONParser.parse(result.stdout)
        XCTAssertEqual(json.objectValue?.map(\.key), ["file", "format", "tensor_count", "parameters", "bytes", "by_dtype", "tensors"])
        let tensors = try XCTUnwrap(json["tensors"]?.arrayValue)
        XCTAssertEqual(json["tensor_count"]?.intValue, tensors.count)
        XCTAssertTrue(tensors.allSatisfy { $0["name"]?.stringValue?.hasPrefix("blk.1.") ?? false })
        let model = try Model.open(path: path)
        for entry in tensors {
            let tensor = try XCTUnwrap(model.tensor(named: entry["name"]!.stringValue!))
            XCTAssertEqual(entry["shape"]?.arrayValue?.compactMap(\.intValue), tensor.shape)
            XCTAssertEqual(entry["bytes"]?.intValue, tensor.byteCount)
            XCTAssertEqual(entry["data_offset"]?.intValue, tensor.dataOffset)
            let stats = StatsComputer.compute(try model.weights(of: tensor))
            XCTAssertEqual(entry["stats"]?["max"]?.doubleValue, stats.max)
            XCTAssertEqual(entry["stats"]?["count"]?.intValue, tensor.elementCount)
        }
    }

    func testHistogramDrawsTheTensor() throws {
        let result = try Binary.run(["inspect", Binary.sample("digits-mlp.safetensors"), "--histogram", "fc2.weight", "--bins", "32"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertTrue(lines[0].hasPrefix("fc2.weight  F32 [128, 256]  32,768 weights"))
        XCTAssertTrue(result.stdout.contains("█"))
        XCTAssertTrue(result.stdout.contains("min -0.4328"), result.stdout)
    }

    func testUnknownTensorSuggestsNames() throws {
        let result = try Binary.run(["inspect", Binary.sample("digits-mlp.safetensors"), "--histogram", "fc2"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("no tensor named fc2; did you mean fc2.weight, fc2.bias?"), result.stderr)
    }

    func testBrokenFilesGiveOneLineErrors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qs-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let broken = folder.appendingPathComponent("broken.gguf").path
        XCTAssertTrue(FileManager.default.createFile(atPath: broken, contents: Data("GGUF\u{3}\0\0\0".utf8)))
        let cases: [(String, String)] = [
            (folder.appendingPathComponent("missing.safetensors").path, "no such file or directory"),
            (folder.path, "is a directory without model.safetensors.index.json or model.safetensors"),
            (broken, "file is truncated: the tensor count needs 8 bytes but only 0 remain (at byte 8)"),
        ]
        for (path, message) in cases {
            let result = try Binary.run(["inspect", path])
            XCTAssertEqual(result.status, 1, path)
            XCTAssertEqual(result.stderr, "quantscope: \(path): \(message)\n")
            XCTAssertEqual(result.stdout, "")
        }
    }
}
