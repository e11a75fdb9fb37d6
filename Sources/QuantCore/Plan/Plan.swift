/// A quantisation plan: one spec per tensor, from a default, ordered pattern rules and per-tensor overrides.
///
/// Resolution: an override for the tensor's exact name wins; otherwise, when `keepOneDimensional` is set,
/// 1-D tensors (norms, biases) and non-float tensors are kept as stored (as llama-quantize does: a pattern
/// such as `*ffn_down*` then means the weights, not their biases); otherwise the *last* rule whose pattern
/// matches (so a rule added later refines earlier ones); otherwise the default. A K-quant whose super-blocks do
/// not fit a tensor's rows is replaced by llama-quantize's fallback type, as llama-quantize does.
public struct Plan: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        public var pattern: TensorPattern
        public var spec: QuantSpec

        public init(pattern: TensorPattern, spec: QuantSpec) {
            self.pattern = pattern
            self.spec = spec
        }
    }

    /// What decided a tensor's spec.
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        case override
        /// The rule at this index of `rules`.
        case rule(Int)
        /// Kept because the tensor is 1-D or not a float tensor.
        case keptOneDimensional
        case defaultSpec

        public var description: String {
            switch self {
            case .override: "override"
            case let .rule(i): "rule \(i + 1)"
            case .keptOneDimensional: "1-D/non-float kept"
            case .defaultSpec: "default"
            }
        }
    }

    public var defaultSpec: QuantSpec
    public var keepOneDimensional: Bool
    public var rules: [Rule]
    /// Exact tensor name → spec.
    public var overrides: [String: QuantSpec]
    /// The model the plan was made for, when known.
    public var model: ModelIdentity?

    public init(defaultSpec: QuantSpec = .keep, keepOneDimensional: Bool = true, rules: [Rule] = [], overrides: [String: QuantSpec] = [:], model: ModelIdentity? = nil) {
        self.defaultSpec = defaultSpec
        self.keepOneDimensional = keepOneDimensional
        self.rules = rules
        self.overrides = overrides
        self.model = model
    }

    /// The spec for a tensor, what decided it, and the spec it decided when that was a super-block type whose
    /// blocks do not fit the tensor's rows and llama-quantize's fallback took its place (`LlamaQuantizeFallback`).
    public func resolve(_ tensor: TensorInfo) -> (spec: QuantSpec, source: Source, fallbackFor: QuantSpec?) {
        let (decided, source) = decide(tensor)
        if let substitute = LlamaQuantizeFallback.replacement(for: decided, tensor: tensor) { return (substitute, source, decided) }
        return (decided, source, nil)
    }

    /// The spec the plan names for a tensor and what named it.
    private func decide(_ tensor: TensorInfo) -> (spec: QuantSpec, source: Source) {
        if let spec = overrides[tensor.name] { return (spec, .override) }
        if keepOneDimensional && (tensor.shape.count < 2 || !tensor.dtype.isFloatingPoint) { return (.keep, .keptOneDimensional) }
        if !tensor.dtype.isDecodable { return (.keep, .keptOneDimensional) }
        if let index = rules.lastIndex(where: { $0.pattern.matches(tensor.name) }) { return (rules[index].spec, .rule(index)) }
        return (defaultSpec, .defaultSpec)
    }

    public func spec(for tensor: TensorInfo) -> QuantSpec { resolve(tensor).spec }
}

/// What identifies the model a plan was made for.
public struct ModelIdentity: Sendable, Equatable {
    /// The model's file name (no folder).
    public var fileName: String
    public var tensorCount: Int
    public var parameterCount: Int
    /// A hash of the tensor list (names, types, shapes), independent of the file's path and format.
    public var fingerprint: String

    public init(fileName: String, tensorCount: Int, parameterCount: Int, fingerprint: String) {
        self.fileName = fileName
        self.tensorCount = tensorCount
        self.parameterCount = parameterCount
        self.fingerprint = fingerprint
    }

    /// The identity of an opened model.
    public init(_ model: Model) {
        let name = model.path.split(separator: "/").last.map(String.init) ?? model.path
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 // FNV-1a 64
        for tensor in model.tensors {
            for byte in "\(tensor.name)\t\(tensor.dtype.name)\t\(tensor.shape)\n".utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
        }
        self.init(fileName: name, tensorCount: model.tensors.count, parameterCount: model.parameterCount,
                  fingerprint: "fnv1a64:" + String(hash, radix: 16).leftPadded(to: 16, with: "0"))
    }
}

/// Why a plan could not be read or used; messages name the file and, for JSON, the path inside it.
public enum PlanError: Error, CustomStringConvertible, Equatable, Sendable {
    case invalidPattern(String, String)
    case unreadable(path: String, reason: String)
    case invalid(path: String, jsonPath: String, problem: String)
    case unsupportedVersion(path: String, version: Int)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidPattern(text, problem): return "invalid pattern \"\(text.escapedForTerminal)\": \(problem)"
        case let .unreadable(path, reason): return "\(path): \(reason)"
        case let .invalid(path, jsonPath, problem): return "\(path): \(jsonPath): \(problem)"
        case let .unsupportedVersion(path, version): return "\(path): plan format version \(version) is newer than this quantscope understands (1); upgrade quantscope"
        case let .cannotWrite(path, reason): return "\(path): cannot write: \(reason)"
        }
    }
}
