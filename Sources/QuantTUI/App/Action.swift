import QuantCore

/// Something that happened: a key, a resize, a background result, a clock tick.
public enum Action: Sendable {
    case key(Key)
    case resize(width: Int, height: Int)
    case statsFinished(tensor: Int, stats: TensorStats)
    case statsFailed(tensor: Int, message: String)
    case evaluationFinished(EvalKey, QuantResult)
    case evaluationFailed(EvalKey, message: String)
    /// A job stopped because it was cancelled; its work is still wanted later.
    case jobCancelled(id: Int)
    case saved(path: String)
    case saveFailed(message: String)
    /// Drives the progress spinner while work runs.
    case tick
}

/// What `update` asks the runtime to do; the runtime turns the outcome back into actions.
public enum Effect: Sendable, Equatable {
    /// Run a background job (statistics or an evaluation); its result arrives as an action.
    case run(JobTicket)
    /// Stop a running job because something more urgent is waiting.
    case cancel(jobID: Int)
    /// Write the plan atomically.
    case save(path: String, plan: Plan, totals: PlanFile.Totals?)
    case quit
}

/// One tensor and one spec: the key results are cached under.
public struct EvalKey: Hashable, Sendable, CustomStringConvertible {
    public let tensor: Int
    public let spec: QuantSpec

    public init(tensor: Int, spec: QuantSpec) {
        self.tensor = tensor
        self.spec = spec
    }

    public var description: String { "#\(tensor) \(spec)" }
}

/// Background work.
public enum Job: Hashable, Sendable {
    case stats(tensor: Int)
    case evaluate(EvalKey, histograms: Bool)

    public var tensor: Int {
        switch self {
        case let .stats(tensor): tensor
        case let .evaluate(key, _): key.tensor
        }
    }
}

/// A job with an identity and the priority it was started with (0 is most urgent).
public struct JobTicket: Hashable, Sendable {
    public let id: Int
    public let job: Job
    public let priority: Int
}
