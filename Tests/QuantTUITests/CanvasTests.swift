import Testing
@testable import QuantTUI

@Suite struct CanvasTests {
    @Test func textIsClippedAtTheEdgeAndControlCharactersAreReplaced() {
        var canvas = Canvas(width: 8, height: 2)
        let end = canvas.put("abc\u{1B}[2Jdefgh", x: 1, y: 0, style: .bold)
        #expect(end == 8)
        #expect(canvas.line(0) == " abc?[2J")
        #expect(canvas.style(x: 1, y: 0) == .bold)
        canvas.put("宽x", x: 0, y: 1)
        #expect(canvas.line(1).hasPrefix("?x"))
        #expect(canvas.text == " abc?[2J\n?x\n")
    }

    @Test func keyMapCoversEveryCommandOnceAndFootersFitAt80Columns() {
        var seen = Set<Key>()
        for binding in KeyMap.bindings {
            for key in binding.keys { #expect(seen.insert(key).inserted, "\(key) bound twice") }
        }
        for pane in Pane.allCases {
            var state = Fixtures.state(width: 80, height: 24)
            state.focus = pane
            let footer = Screen.render(state).line(23)
            #expect(footer.contains("? help"))
            #expect(footer.contains("q quit"))
        }
    }
}
