/// How a cell is drawn: a colour and attributes. Colours are hints; a monochrome terminal draws the text
/// with the attributes only.
public struct Style: Hashable, Sendable {
    public enum Color: Int, Hashable, Sendable, CaseIterable {
        case red = 1, green, yellow, blue, magenta, cyan
    }

    public var color: Color?
    public var bold = false
    public var reverse = false
    public var dim = false
    public var underline = false

    public init(color: Color? = nil, bold: Bool = false, dim: Bool = false, reverse: Bool = false, underline: Bool = false) {
        self.color = color
        self.bold = bold
        self.reverse = reverse
        self.dim = dim
        self.underline = underline
    }

    public static let plain = Style()
    public static let bold = Style(bold: true)
    public static let dim = Style(dim: true)
    public static let reverse = Style(reverse: true)
    public static func colored(_ color: Color, bold: Bool = false) -> Style { Style(color: color, bold: bold) }
}

/// A grid of cells, each one character with a style: what a view draws and the terminal flushes.
///
/// One `Character` fills one cell; text is clipped at the canvas edge, never wrapped.
public struct Canvas: Sendable {
    public let width: Int
    public let height: Int
    public private(set) var characters: [Character]
    public private(set) var styles: [Style]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        characters = Array(repeating: " ", count: self.width * self.height)
        styles = Array(repeating: .plain, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Character {
        characters[y * width + x]
    }

    public func style(x: Int, y: Int) -> Style { styles[y * width + x] }

    /// Writes `text` from column `x` of row `y`, at most `limit` cells; returns the column after the text.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, limit: Int? = nil) -> Int {
        guard y >= 0, y < height else { return x }
        var column = x
        let end = min(width, limit.map { x + max(0, $0) } ?? width)
        for character in text {
            if column >= end { break }
            if column >= 0 {
                let index = y * width + column
                characters[index] = Self.cellSafe(character)
                styles[index] = style
            }
            column += 1
        }
        return column
    }

    /// Sets the style of `count` cells from (x, y) without changing their text.
    public mutating func paint(x: Int, y: Int, count: Int, style: Style) {
        guard y >= 0, y < height else { return }
        for column in max(0, x)..<max(max(0, x), min(width, x + count)) { styles[y * width + column] = style }
    }

    /// Fills a rectangle with spaces in `style`.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, style: Style = .plain, character: Character = " ") {
        for row in max(0, y)..<max(max(0, y), min(height, y + h)) {
            for column in max(0, x)..<max(max(0, x), min(width, x + w)) {
                characters[row * width + column] = character
                styles[row * width + column] = style
            }
        }
    }

    /// The text of row `y`.
    public func line(_ y: Int) -> String { String(characters[(y * width)..<((y + 1) * width)]) }

    /// The whole canvas as text, one line per row with trailing spaces removed: what snapshot tests compare.
    public var text: String {
        (0..<height).map { y in
            var line = self.line(y)
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n") + "\n"
    }

    /// Control characters and characters that take two cells would break the grid; they become `?`.
    static func cellSafe(_ character: Character) -> Character {
        guard let scalar = character.unicodeScalars.first else { return " " }
        if character.unicodeScalars.count > 1 { return character.isASCII ? "?" : (isWide(scalar) ? "?" : character) }
        let value = scalar.value
        if value < 0x20 || (0x7F..<0xA0).contains(value) { return "?" }
        return isWide(scalar) ? "?" : character
    }

    static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1FAFF).contains(v) || (0x20000...0x3FFFD).contains(v)
    }
}
