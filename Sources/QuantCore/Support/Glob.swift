#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A shell-style pattern on tensor names: `*` any run of characters (dots included), `?` one character,
/// `[abc]` / `[!abc]` a set. The whole name must match.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String

    public init(_ pattern: String) { self.pattern = pattern }

    public func matches(_ name: String) -> Bool {
        fnmatch(pattern, name, 0) == 0
    }

    public var description: String { pattern }
}
