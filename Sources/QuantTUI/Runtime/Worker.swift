import Dispatch
import Foundation
import QuantCore

/// Runs background jobs one at a time on its own queue (each job spreads over all cores) and hands the
/// results back as actions for the input loop to pick up.
final class Worker: @unchecked Sendable {
    private let model: Model
    private let queue = DispatchQueue(label: "quantscope.explorer.worker", qos: .userInitiated)
    private let lock = NSLock()
    private var inbox: [Action] = []
    private var statistics: [Int: TensorStats] = [:]
    private var cancellations: [Int: Cancellation] = [:]

    private let threads: Int

    init(model: Model, threads: Int = Parallel.coreCount) {
        self.model = model
        self.threads = threads
    }

    func run(_ ticket: JobTicket) {
        let cancellation = Cancellation()
        lock.withLock { cancellations[ticket.id] = cancellation }
        queue.async { [self] in
            let action = perform(ticket, cancellation: cancellation)
            lock.withLock {
                cancellations[ticket.id] = nil
                inbox.append(action)
            }
        }
    }

    func cancel(_ id: Int) {
        lock.withLock { cancellations[id]?.cancel() }
    }

    func cancelAll() {
        lock.withLock { for c in cancellations.values { c.cancel() } }
    }

    /// Results that arrived since the last call.
    func drain() -> [Action] {
        lock.withLock {
            defer { inbox.removeAll() }
            return inbox
        }
    }

    /// Does a job on the calling thread and returns its outcome as an action.
    func perform(_ ticket: JobTicket, cancellation: Cancellation = Cancellation()) -> Action {
        switch ticket.job {
        case let .stats(t):
            let tensor = model.tensors[t]
            do {
                let stats = StatsComputer.compute(try model.weights(of: tensor), bins: AppState.histogramBins, threads: threads)
                lock.withLock { statistics[t] = stats }
                return .statsFinished(tensor: t, stats: stats)
            } catch {
                return .statsFailed(tensor: t, message: "\(error)")
            }
        case let .evaluate(key, histograms):
            let tensor = model.tensors[key.tensor]
            let known = lock.withLock { statistics[key.tensor] }
            do {
                let result = try Quantizer.evaluate(try model.weights(of: tensor), spec: key.spec, stats: known,
                                                    histogramBins: histograms ? AppState.histogramBins : nil, threads: threads, cancellation: cancellation)
                return .evaluationFinished(key, result)
            } catch is CancelledError {
                return .jobCancelled(id: ticket.id)
            } catch {
                return .evaluationFailed(key, message: "\(error)")
            }
        }
    }
}
