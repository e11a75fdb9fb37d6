import Foundation

/// Hands out pieces of work one at a time to worker threads, so that a thread slowed by other load on its core
/// takes fewer pieces instead of holding up the rest; each worker folds its pieces into a state of its own.
final class PieceQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var order: [Int]

    private init(_ order: [Int]) { self.order = order.reversed() }

    private func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        return order.popLast()
    }

    /// Calls `body(&state, piece)` for each piece of `0..<count` (last first when `reversed`) on up to `threads`
    /// threads, each with a state from `start`, and returns the states.
    static func run<State>(_ count: Int, threads: Int, reversed: Bool = false, start: () -> State, _ body: (inout State, Int) -> Void) -> [State] {
        let queue = PieceQueue(reversed ? Array((0..<count).reversed()) : Array(0..<count))
        let workers = max(1, min(threads, count))
        return Parallel.map(workers, threads: workers) { _ in
            var state = start()
            while let piece = queue.next() { body(&state, piece) }
            return state
        }
    }
}
