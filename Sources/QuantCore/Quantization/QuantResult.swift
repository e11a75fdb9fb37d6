import Foundation

/// The measured outcome of quantising one tensor with one spec: exact size and error.
public struct QuantResult: Sendable, Equatable {
    public let spec: QuantSpec
    public let elementCount: Int
    /// Exact bytes of the quantised tensor (codes, scales, zero-points, block metadata).
    public let storedBytes: Int
    public let error: ErrorStats
    /// Histograms of the dequantised weights (over the original weights' [min, max]) and of the error
    /// (over [−max|e|, max|e|]), when they were asked for.
    public var dequantizedHistogram: Histogram?
    public var errorHistogram: Histogram?

    /// The result of leaving a tensor as stored: its own size, no error.
    public static func kept(_ tensor: TensorInfo) -> QuantResult {
        var error = ErrorStats()
        error.count = tensor.elementCount
        return QuantResult(spec: .keep, elementCount: tensor.elementCount, storedBytes: tensor.byteCount, error: error)
    }

    public var bitsPerWeight: Double { elementCount == 0 ? 0 : Double(storedBytes) * 8 / Double(elementCount) }
}

/// A cooperative cancellation flag checked between chunks of work.
public final class Cancellation: @unchecked Sendable {
    private var cancelled = false
    private let lock = NSLock()

    public init() {}

    public func cancel() { lock.lock(); cancelled = true; lock.unlock() }

    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }
}

/// Thrown when work stops because its `Cancellation` was cancelled.
public struct CancelledError: Error, Sendable {}

