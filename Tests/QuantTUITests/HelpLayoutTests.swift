import Testing
@testable import QuantTUI

/// The `?` help at the sizes people run terminals at, down to the smallest the explorer runs in (80×24): every key
/// is listed, with its whole description where the screen has room for it.
@Suite struct HelpLayoutTests {
    static func helpScreen(width: Int, height: Int) -> String {
        var state = Fixtures.state(width: width, height: height)
        _ = update(&state, .key(.char("?")))
        return Screen.render(state).text
    }

    /// The label cells of the help's rows: the first word after each box edge (and after a column gap).
    static func listedLabels(_ screen: String) -> Set<String> {
        var labels = Set<String>()
        for line in screen.split(separator: "\n") {
            for binding in KeyMap.bindings where line.contains(" \(binding.label) ") { labels.insert(binding.label) }
        }
        return labels
    }

    @Test(arguments: [(200, 50), (140, 40), (120, 40), (100, 30), (80, 24)])
    func everyKeyIsListed(width: Int, height: Int) {
        let screen = Self.helpScreen(width: width, height: height)
        let missing = KeyMap.bindings.map(\.label).filter { !Self.listedLabels(screen).contains($0) }
        #expect(missing.isEmpty, "\(width)×\(height) leaves out \(missing)")
    }

    @Test(arguments: [(200, 50), (140, 40)])
    func wideScreensShowWholeDescriptions(width: Int, height: Int) {
        // Inside the box, the only ellipses are those the descriptions themselves contain: nothing is clipped.
        let inside = Self.helpScreen(width: width, height: height).split(separator: "\n").dropFirst(2).map { line -> Substring in
            guard let open = line.firstIndex(of: "│"), let close = line.lastIndex(of: "│"), open < close else { return "" }
            return line[line.index(after: open)..<close]
        }
        let shown = inside.reduce(0) { $0 + $1.filter { $0 == "…" }.count }
        let own = KeyMap.bindings.reduce(0) { $0 + $1.help.filter { $0 == "…" }.count }
        #expect(shown == own, "\(width)×\(height): \(shown - own) descriptions clipped")
    }
}
