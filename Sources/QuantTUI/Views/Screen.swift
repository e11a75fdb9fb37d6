import QuantCore

/// Renders the whole screen for a state: the entry point of the views.
public enum Screen {
    public static func render(_ state: AppState) -> Canvas {
        var canvas = Canvas(width: state.width, height: state.height)
        render(state, into: &canvas)
        return canvas
    }

    public static func render(_ state: AppState, into canvas: inout Canvas) {
        let glyphs = Glyphs(ascii: state.ascii)
        let layout = state.layout
        if layout.tooSmall {
            drawTooSmall(layout, canvas: &canvas)
            return
        }
        StatusBar.draw(state, into: &canvas, glyphs: glyphs)
        ListView.draw(state, into: &canvas, glyphs: glyphs)
        HistogramView.draw(state, into: &canvas, glyphs: glyphs)
        DetailView.draw(state, into: &canvas, glyphs: glyphs)
        drawMessage(state, canvas: &canvas, glyphs: glyphs)
        drawFooter(state, canvas: &canvas)
        if state.menuCursor != nil { Overlays.drawMenu(state, canvas: &canvas, glyphs: glyphs) }
        if state.showHelp { Overlays.drawHelp(state, canvas: &canvas, glyphs: glyphs) }
    }

    static func drawTooSmall(_ layout: Layout, canvas: inout Canvas) {
        let lines = ["terminal too small: \(layout.width)×\(layout.height)",
                     "quantscope needs at least \(Layout.minimumWidth)×\(Layout.minimumHeight)",
                     "enlarge the window, or press q to quit"]
        let top = max(0, layout.height / 2 - 1)
        for (i, line) in lines.enumerated() {
            canvas.put(line, x: max(0, (layout.width - line.count) / 2), y: top + i, style: i == 0 ? Style(color: .yellow, bold: true) : .plain)
        }
    }

    static func drawMessage(_ state: AppState, canvas: inout Canvas, glyphs: Glyphs) {
        let y = state.layout.messageY
        if let prompt = state.prompt {
            var x = canvas.put(prompt.kind.label, x: 0, y: y, style: Style(color: .cyan, bold: true))
            let room = canvas.width - x - 1
            let text = prompt.text.escapedForTerminal
            x = canvas.put(text.count > room ? String(text.suffix(room)) : text, x: x, y: y)
            canvas.put(String(glyphs.cursor), x: x, y: y, style: .plain)
            if let message = state.message, message.isError, x + 3 < canvas.width {
                canvas.put("  " + message.text, x: x + 1, y: y, style: Style(color: .red), limit: canvas.width - x - 1)
            }
            return
        }
        if state.confirmQuit {
            canvas.put("Unsaved changes. Quit without saving? y quit, s save and quit, any other key cancels", x: 0, y: y, style: Style(color: .yellow, bold: true))
            return
        }
        if let message = state.message {
            canvas.put(Format.clip(message.text, canvas.width, glyphs: glyphs), x: 0, y: y, style: message.isError ? Style(color: .red, bold: true) : .plain)
            return
        }
        var hint: [String] = []
        if !state.marks.isEmpty { hint.append("\(state.marks.count) marked: changes apply to all of them") }
        if !state.filter.isEmpty { hint.append("filter \(state.filter.escapedForTerminal)") }
        if !state.search.isEmpty { hint.append("search \(state.search.escapedForTerminal) (n/N)") }
        canvas.put(hint.joined(separator: " \(glyphs.vertical) "), x: 0, y: y, style: .dim)
    }

    static func drawFooter(_ state: AppState, canvas: inout Canvas) {
        let y = state.layout.footerY
        var x = 0
        let entries: [(key: String, text: String)]
        if state.prompt != nil {
            entries = [("Enter", "accept"), ("Esc", "cancel"), ("^U", "clear")]
        } else if state.menuCursor != nil {
            entries = [("↑↓", "choose"), ("Enter", "apply"), ("e", "type a spec"), ("Esc", "close")]
        } else {
            entries = KeyMap.footer(for: state.focus)
        }
        // Help and quit always show, at the end; the pane's keys fill the room before them in map order.
        let last = entries.filter { $0.key == "?" || $0.key == "q" }
        let reserved = last.reduce(0) { $0 + $1.key.count + $1.text.count + 2 }
        var shown: [(key: String, text: String)] = []
        var used = 0
        for entry in entries where entry.key != "?" && entry.key != "q" {
            let width = entry.key.count + entry.text.count + 2
            if used + width + reserved > canvas.width { continue }
            shown.append(entry)
            used += width
        }
        for entry in shown + last {
            x = canvas.put(entry.key, x: x, y: y, style: Style(bold: true, reverse: true))
            x = canvas.put(" " + entry.text + " ", x: x, y: y)
        }
    }
}

/// The spec menu and the help screen, drawn over the panes.
enum Overlays {
    static func box(x: Int, y: Int, width: Int, height: Int, title: String, canvas: inout Canvas, glyphs: Glyphs) {
        canvas.fill(x: x, y: y, width: width, height: height)
        let h = glyphs.horizontal, v = glyphs.vertical
        let corners: [Character] = glyphs.ascii ? ["+", "+", "+", "+"] : ["┌", "┐", "└", "┘"]
        canvas.put(String(corners[0]) + String(repeating: h, count: width - 2) + String(corners[1]), x: x, y: y, style: .bold)
        canvas.put(String(corners[2]) + String(repeating: h, count: width - 2) + String(corners[3]), x: x, y: y + height - 1, style: .bold)
        for row in (y + 1)..<(y + height - 1) {
            canvas.put(String(v), x: x, y: row, style: .bold)
            canvas.put(String(v), x: x + width - 1, y: row, style: .bold)
        }
        canvas.put(" " + Format.clip(title, width - 4, glyphs: glyphs) + " ", x: x + 1, y: y, style: Style(bold: true, reverse: true))
    }

    static func drawMenu(_ state: AppState, canvas: inout Canvas, glyphs: Glyphs) {
        guard let t = state.selectedTensor, let cursor = state.menuCursor else { return }
        let tensor = state.model.tensors[t]
        let count = SpecStepper.candidates(for: tensor).count
        let width = 40
        let height = min(count + 3, state.height - 4)
        let x = (state.width - width) / 2, y = max(1, (state.height - height) / 2)
        let targets = state.marks.isEmpty ? tensor.name.escapedForTerminal : "\(state.marks.count) marked layers"
        box(x: x, y: y, width: width, height: height, title: "spec for \(targets)", canvas: &canvas, glyphs: glyphs)
        var inner = Canvas(width: width - 2, height: height - 2)
        var menuState = state
        menuState.candidateCursor = cursor
        DetailView.drawCandidates(menuState, tensor: t, x: 0, y: 0, width: width - 2, rows: height - 2, cursor: cursor, canvas: &inner, glyphs: glyphs)
        for row in 0..<inner.height {
            for column in 0..<inner.width {
                canvas.put(String(inner[column, row]), x: x + 1 + column, y: y + 1 + row, style: inner.style(x: column, y: row))
            }
        }
    }

    /// The key map in as few columns as hold every description whole (wrapped onto indented lines), as wide as
    /// the terminal allows; on a screen too small for that, descriptions are clipped to one line each (the smallest
    /// screen the explorer runs in, 80×24, still lists every key: `HelpLayoutTests`).
    static func drawHelp(_ state: AppState, canvas: inout Canvas, glyphs: Glyphs) {
        let bindings = KeyMap.bindings
        let label = 8, height = state.height - 2, rows = height - 2, widest = state.width - 4
        let ideal = label + (bindings.map(\.help.count).max() ?? 0) + 1
        func layout(columns: Int, wrapping: Bool) -> (width: Int, entries: [[String]])? {
            let columnWidth = min(ideal, (widest - 2) / columns)
            guard columnWidth >= label + 12 else { return nil }
            let entries = bindings.map { binding in
                wrapping ? Format.wrap(binding.help, columnWidth - label - 1, glyphs: glyphs)
                         : [Format.clip(binding.help, columnWidth - label - 1, glyphs: glyphs)]
            }
            return (columnWidth, entries)
        }
        // Entries fill a column top to bottom and never split across columns.
        func placements(_ entries: [[String]], columns: Int) -> [(column: Int, row: Int)] {
            var result: [(Int, Int)] = [], column = 0, row = 0
            for lines in entries {
                if row + lines.count > rows { column += 1; row = 0 }
                guard column < columns, lines.count <= rows else { break }
                result.append((column, row))
                row += lines.count
            }
            return result
        }
        var chosen: (columns: Int, width: Int, entries: [[String]], places: [(column: Int, row: Int)])?
        for wrapping in [true, false] where chosen == nil {
            for columns in 1...4 {
                guard let (width, entries) = layout(columns: columns, wrapping: wrapping) else { break }
                let places = placements(entries, columns: columns)
                if places.count == bindings.count { chosen = (columns, width, entries, places); break }
                if !wrapping { chosen = (columns, width, entries, places) } // the most that fits
            }
        }
        guard let chosen else { return }
        let width = chosen.columns * chosen.width + 2
        let x = (state.width - width) / 2, y = 1
        box(x: x, y: y, width: width, height: height, title: "quantscope keys (any key closes)", canvas: &canvas, glyphs: glyphs)
        for (i, place) in chosen.places.enumerated() {
            let cx = x + 1 + place.column * chosen.width, top = y + 1 + place.row
            canvas.put(" " + Format.pad(bindings[i].label, label - 2), x: cx, y: top, style: .bold, limit: chosen.width)
            for (n, line) in chosen.entries[i].enumerated() {
                canvas.put(line, x: cx + label, y: top + n, limit: chosen.width - label)
            }
        }
    }
}
