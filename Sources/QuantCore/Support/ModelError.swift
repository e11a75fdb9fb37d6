/// Why a model file could not be opened or read; the message names the file, the problem and, where it helps, the byte offset.
public enum ModelError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path does not exist or cannot be opened.
    case unreadable(path: String, reason: String)
    /// The file's content is not a valid model of its format.
    case malformed(path: String, problem: String, offset: Int?)
    /// The file is valid but uses something quantscope does not support.
    case unsupported(path: String, problem: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): \(reason)"
        case let .malformed(path, problem, offset):
            if let offset { return "\(path): \(problem) (at byte \(offset))" }
            return "\(path): \(problem)"
        case let .unsupported(path, problem):
            return "\(path): \(problem)"
        }
    }
}
