/// What a key does.
public enum Command: Hashable, Sendable {
    case up, down, top, bottom, pageUp, pageDown, nextPane, previousPane
    case open, collapse, expand
    case search, searchNext, searchPrevious, filter, sort, toggleTree
    case raiseBits, lowerBits, cycleFamily, cycleGranularity, cycleGroupSize, toggleSymmetry, keep
    case specMenu, typeSpec, defaultSpec, addRule, mark, markAll
    case undo, redo, save, quit, help
    case logScale, zoom, dequantized, errorHistogram, grid
}

/// One entry of the key map: the keys, what they do, and the panes whose footer shows them.
public struct Binding: Sendable {
    public let keys: [Key]
    /// How the keys are written in the footer and the help, e.g. `j/k`.
    public let label: String
    public let command: Command
    /// A short description for the footer.
    public let short: String
    /// The full description for the help screen.
    public let help: String
    /// The panes whose footer lists the binding (empty: help only).
    public let footer: Set<Pane>
}

/// The one key map both the footer and the `?` help are generated from.
public enum KeyMap {
    static let all: Set<Pane> = Set(Pane.allCases)

    public static let bindings: [Binding] = [
        Binding(keys: [.up, .char("k")], label: "↑/k", command: .up, short: "up", help: "Move up (in the detail pane: the candidate above)", footer: []),
        Binding(keys: [.down, .char("j")], label: "↓/j", command: .down, short: "down", help: "Move down (in the detail pane: the candidate below)", footer: []),
        Binding(keys: [.char("g"), .home], label: "g", command: .top, short: "top/end", help: "Go to the first row", footer: []),
        Binding(keys: [.char("G"), .end], label: "G", command: .bottom, short: "end", help: "Go to the last row", footer: []),
        Binding(keys: [.pageUp], label: "PgUp", command: .pageUp, short: "page up", help: "Page up", footer: []),
        Binding(keys: [.pageDown], label: "PgDn", command: .pageDown, short: "page down", help: "Page down", footer: []),
        Binding(keys: [.tab], label: "Tab", command: .nextPane, short: "pane", help: "Next pane (layers → histogram → detail)", footer: all),
        Binding(keys: [.backTab], label: "S-Tab", command: .previousPane, short: "prev pane", help: "Previous pane", footer: []),
        Binding(keys: [.enter], label: "Enter", command: .open, short: "open/apply", help: "Layers: open or close a group, or the spec menu on a layer; detail: apply the chosen candidate", footer: [.detail]),
        Binding(keys: [.left, .char("h")], label: "←/h", command: .collapse, short: "collapse", help: "Collapse the group", footer: []),
        Binding(keys: [.right, .char("l")], label: "→/l", command: .expand, short: "expand", help: "Expand the group", footer: []),
        Binding(keys: [.char("]"), .char("+")], label: "]/+", command: .raiseBits, short: "bits up/down", help: "More bits for the selected (or marked) layers", footer: all),
        Binding(keys: [.char("["), .char("-")], label: "[/-", command: .lowerBits, short: "fewer bits", help: "Fewer bits for the selected (or marked) layers", footer: []),
        Binding(keys: [.char("c")], label: "c", command: .cycleFamily, short: "scheme", help: "Cycle the scheme family: int → GGUF → NF4 → FP8 → MXFP4 → NVFP4 → float", footer: [.list]),
        Binding(keys: [.char("v")], label: "v", command: .cycleGranularity, short: "granularity", help: "Cycle granularity: per tensor → per channel → per group (int, FP8)", footer: []),
        Binding(keys: [.char("b")], label: "b", command: .cycleGroupSize, short: "group size", help: "Cycle the group size 16 → 32 → 64 → 128 → 256 (int, NF4)", footer: []),
        Binding(keys: [.char("a")], label: "a", command: .toggleSymmetry, short: "sym/asym", help: "Toggle symmetric/asymmetric (int)", footer: []),
        Binding(keys: [.char("x")], label: "x", command: .keep, short: "keep", help: "Keep the layers as stored (no quantisation)", footer: []),
        Binding(keys: [.char("m")], label: "m", command: .specMenu, short: "menu", help: "Menu of specs with their measured bits/weight and SQNR", footer: [.list]),
        Binding(keys: [.char("e")], label: "e", command: .typeSpec, short: "spec", help: "Type a spec (int4-g128, nf4, q4_k, fp8-e4m3, keep, …)", footer: [.list]),
        Binding(keys: [.char("p")], label: "p", command: .addRule, short: "rule", help: "Add a plan rule: PATTERN [SPEC] for all matching layers (glob, or re:REGEX)", footer: [.list]),
        Binding(keys: [.char("D")], label: "D", command: .defaultSpec, short: "default", help: "Set the plan's default spec", footer: []),
        Binding(keys: [.char(" ")], label: "space", command: .mark, short: "mark", help: "Mark or unmark a layer; changes apply to all marked layers", footer: [.list]),
        Binding(keys: [.char("*")], label: "*", command: .markAll, short: "mark all", help: "Mark all shown layers, or clear the marks", footer: []),
        Binding(keys: [.char("/")], label: "/", command: .search, short: "search", help: "Search layer names; n/N next/previous match", footer: [.list]),
        Binding(keys: [.char("n")], label: "n", command: .searchNext, short: "next", help: "Next search match", footer: []),
        Binding(keys: [.char("N")], label: "N", command: .searchPrevious, short: "previous", help: "Previous search match", footer: []),
        Binding(keys: [.char("f")], label: "f", command: .filter, short: "filter", help: "Filter layers by glob or text", footer: []),
        Binding(keys: [.char("o")], label: "o", command: .sort, short: "sort", help: "Sort by file order → name → size → error", footer: [.list]),
        Binding(keys: [.char("t")], label: "t", command: .toggleTree, short: "tree/flat", help: "Group layers by block, or list them flat", footer: []),
        Binding(keys: [.char("L")], label: "L", command: .logScale, short: "log", help: "Histogram counts linear or logarithmic", footer: [.histogram]),
        Binding(keys: [.char("z")], label: "z", command: .zoom, short: "zoom", help: "Zoom the histogram: full range → central 99.9 % → central 99 %", footer: [.histogram]),
        Binding(keys: [.char("d")], label: "d", command: .dequantized, short: "dequantised", help: "Histogram of the dequantised weights (again: the original)", footer: [.histogram]),
        Binding(keys: [.char("r")], label: "r", command: .errorHistogram, short: "error", help: "Histogram of the quantisation error (again: the original)", footer: [.histogram]),
        Binding(keys: [.char("#")], label: "#", command: .grid, short: "grid", help: "Show or hide the quantisation grid and clip range", footer: [.histogram]),
        Binding(keys: [.char("u")], label: "u", command: .undo, short: "undo", help: "Undo the last plan change", footer: all),
        Binding(keys: [.ctrl("r")], label: "^R", command: .redo, short: "redo", help: "Redo", footer: []),
        Binding(keys: [.char("s")], label: "s", command: .save, short: "save", help: "Save the plan (atomically, keeping a .bak)", footer: all),
        Binding(keys: [.char("?")], label: "?", command: .help, short: "help", help: "This help", footer: all),
        Binding(keys: [.char("q")], label: "q", command: .quit, short: "quit", help: "Quit (asks when there are unsaved changes); Ctrl-C quits at once", footer: all),
    ]

    static let byKey: [Key: Command] = {
        var map: [Key: Command] = [:]
        for binding in bindings { for key in binding.keys where map[key] == nil { map[key] = binding.command } }
        return map
    }()

    public static func command(for key: Key) -> Command? { byKey[key] }

    /// The footer for a pane: its bindings as `key short` pairs, in map order.
    public static func footer(for pane: Pane) -> [(key: String, text: String)] {
        bindings.filter { $0.footer.contains(pane) }.map { ($0.command == .raiseBits ? "]/[" : $0.label, $0.short) }
    }
}
