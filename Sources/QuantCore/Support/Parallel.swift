import Dispatch
import Foundation

/// Runs independent pieces of work on all cores and collects their results in order.
public enum Parallel {
    /// The number of cores work is spread over by default.
    public static let coreCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body(i)` for `i` in `0..<count` on up to `threads` threads and returns the results in index order.
    public static func map<T>(_ count: Int, threads: Int = coreCount, _ body: (Int) throws -> T) rethrows -> [T] {
        guard count > 1, threads > 1 else { return try (0..<count).map(body) }
        let results = UnsafeMutableBufferPointer<Result<T, any Error>?>.allocate(capacity: count)
        results.initialize(repeating: nil)
        defer { results.deinitialize(); results.deallocate() }
        try withoutActuallyEscaping(body) { body in
            let work = UnsafeSendable(value: (body, results))
            if threads >= count {
                DispatchQueue.concurrentPerform(iterations: count) { i in
                    work.value.1[i] = Result { try work.value.0(i) }
                }
            } else {
                // Fewer threads than pieces: each thread takes pieces i, i + threads, …
                DispatchQueue.concurrentPerform(iterations: threads) { t in
                    var i = t
                    while i < count {
                        work.value.1[i] = Result { try work.value.0(i) }
                        i += threads
                    }
                }
            }
            _ = try (0..<count).map { try results[$0]!.get() }
        }
        return try (0..<count).map { try results[$0]!.get() }
    }
}

/// Carries a value across a concurrency boundary whose safety the caller guarantees.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
}
