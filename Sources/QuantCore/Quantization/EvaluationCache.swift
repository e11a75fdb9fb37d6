import Foundation

/// Results by (tensor, spec), shared by the TUI, the CLI and the optimiser so nothing is measured twice.
public final class EvaluationCache: @unchecked Sendable {
    public struct Key: Hashable, Sendable {
        public let tensor: String
        public let spec: QuantSpec
    }

    private var results: [Key: QuantResult] = [:]
    private let lock = NSLock()

    public init() {}

    public func result(tensor: String, spec: QuantSpec) -> QuantResult? {
        lock.lock(); defer { lock.unlock() }
        return results[Key(tensor: tensor, spec: spec)]
    }

    public func store(_ result: QuantResult, tensor: String) {
        lock.lock(); defer { lock.unlock() }
        results[Key(tensor: tensor, spec: result.spec)] = result
    }

    public var count: Int { lock.lock(); defer { lock.unlock() }; return results.count }
}
