import Foundation
import QuantCore

/// Short figures for narrow columns, and the severity colours of error figures.
enum Format {
    /// SQNR in dB, `exact` for lossless.
    static func sqnr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value == .infinity { return "exact" }
        if value == -.infinity { return "-inf dB" }
        return String(format: "%.1f dB", value)
    }

    /// Green for good SQNR (≥ 35 dB), yellow for fair (≥ 20 dB), red below.
    static func severity(_ sqnr: Double) -> Style.Color? {
        if sqnr.isNaN { return .red }
        if sqnr == .infinity { return nil }
        if sqnr >= 35 { return .green }
        if sqnr >= 20 { return .yellow }
        return .red
    }

    static func bits(_ bytes: Int, weights: Int) -> String {
        guard weights > 0 else { return "-" }
        let value = Double(bytes) * 8 / Double(weights)
        return value >= 100 ? String(format: "%.0f", value) : String(format: value >= 10 ? "%.1f" : "%.2f", value)
    }

    static func ratio(_ value: Double, glyphs: Glyphs) -> String { String(format: value >= 10 ? "%.1f" : "%.2f", value) + (glyphs.ascii ? "x" : "×") }

    static func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    /// `text` cut to `width` cells, keeping its start and end around an ellipsis.
    static func middle(_ text: String, _ width: Int, glyphs: Glyphs) -> String {
        guard text.count > width else { return text }
        guard width > 3 else { return String(text.prefix(max(0, width))) }
        let tail = (width - 1) / 2, head = width - 1 - tail
        return String(text.prefix(head)) + String(glyphs.ellipsis) + String(text.suffix(tail))
    }

    /// `text` cut to `width` cells at its end.
    static func clip(_ text: String, _ width: Int, glyphs: Glyphs) -> String {
        guard text.count > width else { return text }
        guard width > 1 else { return String(text.prefix(max(0, width))) }
        return String(text.prefix(width - 1)) + String(glyphs.ellipsis)
    }

    /// `text` broken at spaces into lines of at most `width` cells; a word longer than `width` is clipped.
    static func wrap(_ text: String, _ width: Int, glyphs: Glyphs) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
            if line.isEmpty {
                line = word
            } else if line.count + 1 + word.count <= width {
                line += " " + word
            } else {
                lines.append(clip(line, width, glyphs: glyphs))
                line = word
            }
        }
        if !line.isEmpty || lines.isEmpty { lines.append(clip(line, width, glyphs: glyphs)) }
        return lines
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func padLeft(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    static func shape(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ",") + "]"
    }
}
