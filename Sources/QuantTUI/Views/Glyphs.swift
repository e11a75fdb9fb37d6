/// The characters the views draw with: Unicode box and block characters, or ASCII when the locale is not UTF-8.
public struct Glyphs: Sendable {
    public let ascii: Bool
    public let horizontal: Character
    public let vertical: Character
    public let ellipsis: Character
    /// A figure still being measured.
    public let pending: String
    public let mark: Character
    public let open: Character
    public let closed: Character
    public let arrow: String
    public let tick: Character
    public let cursor: Character
    public let pointer: Character
    public let spinner: [Character]

    public init(ascii: Bool) {
        self.ascii = ascii
        horizontal = ascii ? "-" : "─"
        vertical = ascii ? "|" : "│"
        ellipsis = ascii ? "~" : "…"
        pending = ascii ? "..." : "…"
        mark = ascii ? "*" : "●"
        open = ascii ? "-" : "▾"
        closed = ascii ? "+" : "▸"
        arrow = ascii ? "->" : "→"
        tick = ascii ? "+" : "┴"
        cursor = ascii ? "_" : "█"
        pointer = ascii ? ">" : "▶"
        spinner = ascii ? ["|", "/", "-", "\\"] : ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
    }
}
