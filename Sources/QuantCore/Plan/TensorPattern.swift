import Foundation

/// A pattern on tensor names: a shell glob (`blk.*.ffn_down.weight`) or, with a `re:` prefix, a regular
/// expression (`re:^blk\.(0|1)\.attn_`). Globs match the whole name; regular expressions match anywhere
/// unless anchored.
public struct TensorPattern: Hashable, Sendable, CustomStringConvertible {
    /// The pattern as written, including any `re:` prefix.
    public let text: String
    private let regex: RegexBox?

    public init(_ text: String) throws {
        self.text = text
        if text.hasPrefix("re:") {
            let source = String(text.dropFirst(3))
            do {
                regex = RegexBox(try NSRegularExpression(pattern: source))
            } catch {
                throw PlanError.invalidPattern(text, "not a valid regular expression")
            }
        } else {
            guard !text.isEmpty else { throw PlanError.invalidPattern(text, "empty pattern") }
            regex = nil
        }
    }

    public func matches(_ name: String) -> Bool {
        if let regex {
            return regex.value.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
        }
        return Glob(text).matches(name)
    }

    /// A pattern that matches exactly this name and nothing else.
    public static func exact(_ name: String) -> TensorPattern {
        let escaped = NSRegularExpression.escapedPattern(for: name)
        return try! TensorPattern("re:^" + escaped + "$")
    }

    public var description: String { text }

    public static func == (lhs: TensorPattern, rhs: TensorPattern) -> Bool { lhs.text == rhs.text }
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }
}

/// Lets a compiled regular expression live in a Sendable value (it is immutable once made).
final class RegexBox: @unchecked Sendable {
    let value: NSRegularExpression
    init(_ value: NSRegularExpression) { self.value = value }
}
