/// Per-tensor results and model totals for one spec per tensor.
public struct ModelEvaluation: Sendable {
    public struct Entry: Sendable {
        public let tensor: TensorInfo
        public let result: QuantResult

        public init(tensor: TensorInfo, result: QuantResult) {
            self.tensor = tensor
            self.result = result
        }
    }

    public let entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// Stored bytes of the model as quantised.
    public var storedBytes: Int { entries.reduce(0) { $0 + $1.result.storedBytes } }
    /// Bytes of the model as it is stored now.
    public var sourceBytes: Int { entries.reduce(0) { $0 + $1.tensor.byteCount } }
    public var parameterCount: Int { entries.reduce(0) { $0 + $1.tensor.elementCount } }
    public var bitsPerWeight: Double { parameterCount == 0 ? 0 : Double(storedBytes) * 8 / Double(parameterCount) }
    /// Source size divided by quantised size.
    public var compressionVsSource: Double { storedBytes == 0 ? 0 : Double(sourceBytes) / Double(storedBytes) }
    /// The size all weights would take in F16, divided by the quantised size.
    public var compressionVsF16: Double { storedBytes == 0 ? 0 : Double(parameterCount * 2) / Double(storedBytes) }
    /// Mean squared error over all weights of all tensors (so larger tensors weigh more).
    public var weightedMSE: Double {
        let count = entries.reduce(0) { $0 + $1.result.error.count }
        return count == 0 ? 0 : entries.reduce(0) { $0 + $1.result.error.sumSquaredError } / Double(count)
    }
    /// The lowest per-tensor SQNR in dB (+∞ when nothing is lossy).
    public var lowestSQNR: Double { entries.map(\.result.error.sqnr).min() ?? .infinity }
    /// Tensors by increasing SQNR: the ones that suffer most first.
    public func worst(_ count: Int) -> [Entry] {
        Array(entries.filter { $0.result.error.sqnr.isFinite }.sorted { $0.result.error.sqnr < $1.result.error.sqnr }.prefix(count))
    }

    /// Evaluates every tensor with the spec `specFor` gives it; cached results are reused and new ones stored.
    /// Tensors whose type cannot be decoded must be given `keep`.
    public static func evaluate(_ model: Model, tensors: [TensorInfo]? = nil, cache: EvaluationCache? = nil, stats: [String: TensorStats] = [:],
                                threads: Int = Parallel.coreCount, cancellation: Cancellation? = nil,
                                progress: ((_ done: Int, _ total: Int) -> Void)? = nil,
                                specFor: (TensorInfo) -> QuantSpec) throws -> ModelEvaluation {
        let list = tensors ?? model.tensors
        let total = list.reduce(0) { $0 + $1.elementCount }
        var done = 0
        var entries: [Entry] = []
        for tensor in list {
            let spec = specFor(tensor)
            let result: QuantResult
            if let cached = cache?.result(tensor: tensor.name, spec: spec) {
                result = cached
            } else if case .keep = spec.family, !tensor.dtype.isDecodable {
                result = .kept(tensor)
            } else {
                result = try Quantizer.evaluate(try model.weights(of: tensor), spec: spec, stats: stats[tensor.name], threads: threads, cancellation: cancellation)
                cache?.store(result, tensor: tensor.name)
            }
            entries.append(Entry(tensor: tensor, result: result))
            done += tensor.elementCount
            progress?(done, total)
        }
        return ModelEvaluation(entries: entries)
    }
}
