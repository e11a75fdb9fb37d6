/// How one tensor is written by `apply`: its stored type in the output and where its bytes come from.
public struct TensorOutput: Sendable {
    public enum Source: Sendable, Equatable {
        /// The stored bytes are copied unchanged (kept tensors whose type the output format has).
        case copy
        /// Weights are quantised with a GGUF block type, bit-exact with llama.cpp.
        case ggml(GGMLType)
        /// Weights are rounded to F32, F16 or BF16.
        case float(QuantSpec.FloatStorage)
        /// Weights are quantised with `spec` and written dequantised ("fake-quantised") in `storage`.
        case simulated(QuantSpec, QuantSpec.FloatStorage)
    }

    public let tensor: TensorInfo
    public let spec: QuantSpec
    public let source: Source
    /// The element type written.
    public let outputType: GGMLType

    public var byteCount: Int { tensor.elementCount / outputType.blockSize * outputType.blockBytes }

    /// Decides how each tensor of `model` is written under `plan`. Without `simulate`, a spec that has no
    /// GGUF type is refused; with it, such tensors are written dequantised as `simulateAs`.
    public static func plan(_ model: Model, plan: Plan, simulate: Bool, simulateAs: QuantSpec.FloatStorage = .f32, forGGUF: Bool = true) throws -> [TensorOutput] {
        var outputs: [TensorOutput] = []
        var refused: [String] = []
        for tensor in model.tensors {
            let spec = plan.spec(for: tensor)
            if let problem = PlanValidation.applicability(of: spec, to: tensor) {
                throw WriterError(path: model.path, problem: "\(tensor.name.escapedForTerminal): \(spec) \(problem)")
            }
            let storage: (QuantSpec.FloatStorage) -> GGMLType = { $0 == .f32 ? .f32 : ($0 == .f16 ? .f16 : .bf16) }
            switch spec.family {
            case .keep:
                if !forGGUF {
                    guard tensor.dtype.isDecodable else { throw WriterError(path: model.path, problem: "\(tensor.name.escapedForTerminal): stored type \(tensor.dtype.name) cannot be written to safetensors") }
                    outputs.append(TensorOutput(tensor: tensor, spec: spec, source: .float(.f32), outputType: .f32))
                } else if let type = ggmlType(of: tensor.dtype) {
                    outputs.append(TensorOutput(tensor: tensor, spec: spec, source: .copy, outputType: type))
                } else if tensor.dtype.isDecodable && tensor.dtype.isFloatingPoint {
                    // Float types GGUF lacks (FP8, F64 is present) are widened to F32 losslessly.
                    outputs.append(TensorOutput(tensor: tensor, spec: spec, source: .float(.f32), outputType: .f32))
                } else {
                    throw WriterError(path: model.path, problem: "\(tensor.name.escapedForTerminal): stored type \(tensor.dtype.name) has no GGUF equivalent; give it a spec")
                }
            case let .float(kind):
                outputs.append(TensorOutput(tensor: tensor, spec: spec, source: .float(kind), outputType: storage(kind)))
            case let .gguf(type) where forGGUF:
                outputs.append(TensorOutput(tensor: tensor, spec: spec, source: .ggml(type), outputType: type))
            default:
                if simulate {
                    outputs.append(TensorOutput(tensor: tensor, spec: spec, source: .simulated(spec, simulateAs), outputType: storage(simulateAs)))
                } else {
                    refused.append("\(tensor.name.escapedForTerminal) (\(spec))")
                }
            }
        }
        if !refused.isEmpty {
            let shown = refused.prefix(3).joined(separator: ", ") + (refused.count > 3 ? " and \(refused.count - 3) more" : "")
            throw WriterError(path: model.path, problem: "no GGUF type stores \(shown); use GGUF types (q4_k, q8_0, …) or add --simulate to write dequantised weights")
        }
        return outputs
    }

    /// The GGUF type that stores `dtype` unchanged, if there is one.
    static func ggmlType(of dtype: DType) -> GGMLType? {
        switch dtype {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .f64: .f64
        case .i8: .i8
        case .i16: .i16
        case .i32: .i32
        case .i64: .i64
        case let .ggml(type): type
        default: nil
        }
    }
}
