import CNcurses

/// The terminal explorer's entry point; the explorer itself is built in the TUI issue.
public enum QuantTUI {
    /// The ncurses version string, to prove the terminal backend links.
    public static var ncursesVersion: String { String(cString: curses_version()) }
}
