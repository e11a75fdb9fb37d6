extension String {
    /// The string with control characters and invalid sequences escaped (`\n`, `\x1b`, `\u{7f}`),
    /// so a tensor name taken from a file cannot move the cursor or change colours when printed.
    public var escapedForTerminal: String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for scalar in unicodeScalars {
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00..<0x20, 0x7F:
                out += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2, with: "0")
            case 0x80..<0xA0, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    func leftPadded(to width: Int, with pad: Character = " ") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
