import Foundation

/// Writes `JSONValue`s as text with keys in the order given, so output is stable and diffs well.
public enum JSONWriter {
    /// Serialises `value`; `pretty` indents with two spaces and puts short scalar arrays on one line.
    public static func write(_ value: JSONValue, pretty: Bool = true) -> String {
        var out = ""
        write(value, into: &out, indent: pretty ? 0 : nil)
        if pretty { out += "\n" }
        return out
    }

    private static func write(_ value: JSONValue, into out: inout String, indent: Int?) {
        switch value {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(text): out += text
        case let .string(s): out += quoted(s)
        case let .array(items):
            let scalarOnly = items.allSatisfy { if case .array = $0 { return false }; if case .object = $0 { return false }; return true }
            guard let level = indent, !items.isEmpty, !(scalarOnly && items.count <= 16) else {
                out += "["
                for (i, item) in items.enumerated() {
                    if i > 0 { out += indent == nil ? "," : ", " }
                    write(item, into: &out, indent: indent)
                }
                out += "]"
                return
            }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += String(repeating: "  ", count: level + 1)
                write(item, into: &out, indent: level + 1)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += String(repeating: "  ", count: level) + "]"
        case let .object(members):
            guard let level = indent, !members.isEmpty else {
                out += "{"
                for (i, member) in members.enumerated() {
                    if i > 0 { out += "," }
                    out += quoted(member.key) + ":"
                    write(member.value, into: &out, indent: nil)
                }
                out += "}"
                return
            }
            out += "{\n"
            for (i, member) in members.enumerated() {
                out += String(repeating: "  ", count: level + 1) + quoted(member.key) + ": "
                write(member.value, into: &out, indent: level + 1)
                out += i + 1 < members.count ? ",\n" : "\n"
            }
            out += String(repeating: "  ", count: level) + "}"
        }
    }

    /// A JSON string literal; control characters are escaped.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension JSONValue {
    /// A number from an integer.
    public static func int(_ value: Int) -> JSONValue { .number(String(value)) }
    /// A number from a Double in its shortest round-trip form; NaN and infinities become null.
    public static func double(_ value: Double) -> JSONValue {
        value.isFinite ? .number(value == value.rounded() && abs(value) < 1e15 ? String(format: "%.1f", value) : "\(value)") : .null
    }
}

