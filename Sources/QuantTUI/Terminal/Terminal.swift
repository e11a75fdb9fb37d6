import CNcurses
import Foundation

/// The ncurses backend: flushes canvases to the screen and turns key codes into actions. It owns the
/// terminal between `start` and `stop`, and restores it on every exit path (signals, crashes, exit).
public final class Terminal {
    /// Whether the locale is UTF-8 (else the views draw ASCII).
    public let utf8: Bool
    public private(set) var colors = false
    private var active = false

    /// Picks up the user's locale; call before anything else touches the terminal.
    public init() {
        setlocale(LC_ALL, "")
        utf8 = qs_locale_is_utf8() != 0
    }

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Takes over the terminal: alternate screen, no echo, keypad keys, hidden cursor, colours unless NO_COLOR.
    public func start() throws {
        qs_install_restore_handlers()
        guard let screen = qs_newterm() else {
            throw StartError(description: "cannot start the terminal (TERM=\(ProcessInfo.processInfo.environment["TERM"] ?? "unset")); try `quantscope inspect`")
        }
        set_term(screen)
        active = true
        qs_set_curses_active(1)
        cbreak()
        noecho()
        nonl()
        keypad(qs_stdscr(), true)
        curs_set(0)
        set_escdelay(25)
        qs_timeout(50)
        let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        if has_colors(), !noColor {
            start_color()
            use_default_colors()
            for color in Style.Color.allCases {
                init_pair(Int16(color.rawValue), Int16(color.rawValue), -1)
            }
            colors = true
        }
    }

    /// Gives the terminal back: normal screen, visible cursor, cooked mode.
    public func stop() {
        guard active else { return }
        active = false
        qs_set_curses_active(0)
        curs_set(1)
        endwin()
    }

    deinit { stop() }

    public var width: Int { Int(qs_cols()) }
    public var height: Int { Int(qs_lines()) }

    /// Draws a canvas; ncurses sends only the cells that changed.
    public func draw(_ canvas: Canvas) {
        var buffer: [wchar_t] = []
        buffer.reserveCapacity(canvas.width + 1)
        for y in 0..<min(canvas.height, height) {
            var x = 0
            let lineWidth = min(canvas.width, width) - (y == min(canvas.height, height) - 1 ? 1 : 0)
            while x < lineWidth {
                let style = canvas.style(x: x, y: y)
                let start = x
                buffer.removeAll(keepingCapacity: true)
                while x < lineWidth, canvas.style(x: x, y: y) == style {
                    for scalar in canvas[x, y].unicodeScalars { buffer.append(wchar_t(bitPattern: scalar.value)) }
                    x += 1
                }
                buffer.append(0)
                _ = qs_attrset(attributes(style))
                _ = buffer.withUnsafeBufferPointer { qs_mvaddwstr(Int32(y), Int32(start), $0.baseAddress!) }
            }
        }
        _ = qs_attrset(0)
        refresh()
    }

    private func attributes(_ style: Style) -> Int32 {
        var value: Int32 = 0
        if style.bold { value |= qs_a_bold() }
        if style.reverse { value |= qs_a_reverse() }
        if style.dim { value |= qs_a_dim() }
        if style.underline { value |= qs_a_underline() }
        if colors, let color = style.color { value |= qs_color_pair(Int32(color.rawValue)) }
        return value
    }

    /// Waits up to `milliseconds` for a key; nil on timeout.
    public func read(timeout milliseconds: Int) -> Action? {
        qs_timeout(Int32(milliseconds))
        var code: UInt32 = 0
        let result = qs_get_wch(&code)
        if result == qs_err() { return nil }
        if result == qs_key_code_yes() {
            switch qs_translate_key(Int32(bitPattern: code)) {
            case 1: return .key(.up)
            case 2: return .key(.down)
            case 3: return .key(.left)
            case 4: return .key(.right)
            case 5: return .key(.home)
            case 6: return .key(.end)
            case 7: return .key(.pageUp)
            case 8: return .key(.pageDown)
            case 9: return .key(.backTab)
            case 10: return .key(.backspace)
            case 11: return .key(.delete)
            case 12: return .key(.enter)
            case 13: return .resize(width: width, height: height)
            default: return nil
            }
        }
        return Self.decode(code).map(Action.key)
    }

    /// A character code as a key: control codes become Tab, Enter, Esc, Backspace or Ctrl-letter.
    static func decode(_ code: UInt32) -> Key? {
        switch code {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        case 1...26: return .ctrl(Character(Unicode.Scalar(code + 96)!))
        default:
            guard let scalar = Unicode.Scalar(code), code >= 32 else { return nil }
            return .char(Character(scalar))
        }
    }
}
