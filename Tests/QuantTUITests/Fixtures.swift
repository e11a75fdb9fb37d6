import Foundation
@testable import QuantCore
@testable import QuantTUI

/// Models and states for the explorer's tests.
enum Fixtures {
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func samplePath(_ name: String) -> String { checkout.appendingPathComponent("SampleModels/\(name)").path }

    static func sample(_ name: String) throws -> Model { try Model.open(path: samplePath(name)) }

    static func tensor(_ name: String, _ shape: [Int], dtype: DType = .f32) -> TensorInfo {
        let count = shape.reduce(1, *)
        return TensorInfo(name: name, dtype: dtype, shape: shape, elementCount: count, byteCount: count * (dtype == .f32 ? 4 : 2), location: .mapped(fileIndex: 0, offset: 0))
    }

    /// A transformer-like model with two blocks: no weights, for update tests.
    static let blocks = ModelSummary(path: "/models/tiny.gguf", formatName: "GGUF v3", tensors: [
        tensor("token_embd.weight", [1000, 256], dtype: .f16),
        tensor("blk.0.attn_q.weight", [256, 256], dtype: .f16),
        tensor("blk.0.attn_q.bias", [256]),
        tensor("blk.0.ffn_up.weight", [1024, 256], dtype: .f16),
        tensor("blk.1.attn_q.weight", [256, 256], dtype: .f16),
        tensor("blk.1.attn_q.bias", [256]),
        tensor("blk.1.ffn_up.weight", [1024, 256], dtype: .f16),
        tensor("output_norm.weight", [256]),
    ])

    static let int8Channel = try! QuantSpec(parsing: "int8-channel")

    static func state(_ model: ModelSummary = blocks, plan: Plan = Plan(defaultSpec: int8Channel), width: Int = 120, height: Int = 40) -> AppState {
        AppState(model: model, plan: plan, planPath: "tiny.plan.json", width: width, height: height)
    }

    static func spec(_ text: String) -> QuantSpec { try! QuantSpec(parsing: text) }

    /// Sends keys one by one and collects the effects.
    @discardableResult
    static func press(_ state: inout AppState, _ keys: Key...) -> [Effect] {
        keys.flatMap { update(&state, .key($0)) }
    }

    @discardableResult
    static func type(_ state: inout AppState, _ text: String) -> [Effect] {
        text.flatMap { update(&state, .key(.char($0))) }
    }

    static func stats(count: Int = 100) -> TensorStats {
        TensorStats(count: count, nanCount: 0, infCount: 0, zeroCount: 0, min: -1, max: 1, mean: 0, std: 0.5, maxAbs: 1, kurtosis: 0,
                    histogram: Histogram(lower: -1, upper: 1, counts: [1, 2, 3, 4, 4, 3, 2, 1]))
    }

    static func result(_ spec: QuantSpec, tensor: TensorInfo, sqnr: Double) -> QuantResult {
        var error = ErrorStats()
        error.count = tensor.elementCount
        error.sumSquaredSignal = 1
        error.sumSquaredError = pow(10, -sqnr / 10)
        error.sumSquaredDequantized = 1
        error.sumProduct = 1
        var result = QuantResult(spec: spec, elementCount: tensor.elementCount, storedBytes: SpecSize.storedBytes(of: tensor, spec: spec)!, error: error)
        result.dequantizedHistogram = Histogram(lower: -1, upper: 1, counts: [1, 2, 1])
        result.errorHistogram = Histogram(lower: -0.1, upper: 0.1, counts: [1, 2, 1])
        return result
    }
}
