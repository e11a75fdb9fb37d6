import QuantCore

/// What the explorer needs to know about the model: its tensors and totals, no weights.
public struct ModelSummary: Sendable {
    public var path: String
    public var fileName: String
    public var formatName: String
    public var tensors: [TensorInfo]
    public var identity: ModelIdentity?

    public init(path: String, formatName: String, tensors: [TensorInfo], identity: ModelIdentity? = nil) {
        self.path = path
        fileName = path.split(separator: "/").last.map(String.init) ?? path
        self.formatName = formatName
        self.tensors = tensors
        self.identity = identity
    }

    public init(_ model: Model) {
        self.init(path: model.path, formatName: "\(model.format)", tensors: model.tensors, identity: ModelIdentity(model))
    }

    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }
    public var sourceBytes: Int { tensors.reduce(0) { $0 + $1.byteCount } }
}

/// A tensor's place in the plan: its spec, what decided it, its exact size, and why the spec cannot apply.
public struct ResolvedTensor: Sendable, Equatable {
    public var spec: QuantSpec
    public var source: Plan.Source
    /// The spec the plan named when llama-quantize's fallback `spec` replaced it (`LlamaQuantizeFallback`).
    public var fallbackFor: QuantSpec?
    /// Stored bytes under `spec` (the source size when the spec cannot apply).
    public var bytes: Int
    public var problem: String?
}

/// Tensors that share a prefix (`blk.3`, `encoder.layer.0`, `fc1`), shown under one collapsible row.
public struct TensorGroup: Sendable, Equatable {
    public var name: String
    public var members: [Int]

    /// The group key of a tensor name: the prefix up to a numbered block (`blk.3`, `model.layers.12`),
    /// else the first component of a dotted name, else the whole name.
    public static func key(of name: String) -> String {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if let index = parts.indices.dropFirst().first(where: { i in !parts[i].isEmpty && parts[i].allSatisfy(\.isNumber) }), index < parts.count - 1 {
            return parts[...index].joined(separator: ".")
        }
        if parts.count > 1 { return String(parts[0]) }
        return name
    }

    /// Groups in order of first appearance.
    public static func make(_ tensors: [TensorInfo]) -> [TensorGroup] {
        var order: [String] = []
        var members: [String: [Int]] = [:]
        for (i, tensor) in tensors.enumerated() {
            let key = key(of: tensor.name)
            if members[key] == nil { order.append(key) }
            members[key, default: []].append(i)
        }
        return order.map { TensorGroup(name: $0, members: members[$0]!) }
    }
}

/// A line of the layer list.
public enum Row: Hashable, Sendable {
    /// A group header: index into `AppState.groups`.
    case group(Int)
    case tensor(Int)
}

/// The panes keyboard focus moves between.
public enum Pane: Int, CaseIterable, Sendable {
    case list, histogram, detail

    public var title: String {
        switch self {
        case .list: "layers"
        case .histogram: "histogram"
        case .detail: "detail"
        }
    }
}

/// Orders of the layer list.
public enum SortOrder: Int, CaseIterable, Sendable {
    case file, name, size, error

    public var title: String {
        switch self {
        case .file: "file order"
        case .name: "name"
        case .size: "size"
        case .error: "error (worst first)"
        }
    }
}

/// What the histogram pane draws.
public enum HistogramSource: Sendable, Equatable {
    case weights, dequantized, error
}

/// A one-line text prompt at the bottom of the screen.
public struct Prompt: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case search, filter, spec, rule, defaultSpec

        public var label: String {
            switch self {
            case .search: "search: "
            case .filter: "filter (glob or text, empty clears): "
            case .spec: "spec: "
            case .rule: "rule PATTERN [SPEC]: "
            case .defaultSpec: "default spec: "
            }
        }
    }

    public var kind: Kind
    public var text: String
}

/// The status line message.
public struct Message: Sendable, Equatable {
    public var text: String
    public var isError: Bool

    public init(_ text: String, isError: Bool = false) {
        self.text = text
        self.isError = isError
    }
}
