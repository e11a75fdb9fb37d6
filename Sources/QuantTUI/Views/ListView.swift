import QuantCore

/// The layer list: one row per group or tensor with name, shape, weights, type, planned spec, bits per
/// weight and SQNR coloured by severity.
enum ListView {
    struct Columns {
        let name: Int
        static let shape = 12, params = 7, dtype = 6, spec = 15, bits = 5, sqnr = 9

        init(width: Int) {
            name = max(10, width - 2 - (Self.shape + Self.params + Self.dtype + Self.spec + Self.bits + Self.sqnr + 6))
        }

        func line(_ name: String, _ shape: String, _ params: String, _ dtype: String, _ spec: String, _ bits: String, _ sqnr: String) -> [(String, Int)] {
            [(Format.pad(name, self.name), 2), (Format.pad(shape, Self.shape), 3 + self.name), (Format.padLeft(params, Self.params), 4 + self.name + Self.shape),
             (Format.pad(dtype, Self.dtype), 5 + self.name + Self.shape + Self.params), (Format.pad(spec, Self.spec), 6 + self.name + Self.shape + Self.params + Self.dtype),
             (Format.padLeft(bits, Self.bits), 6 + self.name + Self.shape + Self.params + Self.dtype + Self.spec),
             (Format.padLeft(sqnr, Self.sqnr), 7 + self.name + Self.shape + Self.params + Self.dtype + Self.spec + Self.bits)]
        }

        var sqnrX: Int { 7 + name + Self.shape + Self.params + Self.dtype + Self.spec + Self.bits }
        var specX: Int { 6 + name + Self.shape + Self.params + Self.dtype }
    }

    static func draw(_ state: AppState, into canvas: inout Canvas, glyphs: Glyphs) {
        let layout = state.layout
        let columns = Columns(width: layout.width)
        let focused = state.focus == .list
        let headerStyle = focused ? Style(bold: true, reverse: true) : Style(bold: true, underline: true)
        canvas.fill(x: 0, y: layout.listY, width: layout.width, height: 1, style: headerStyle)
        var title = "layers"
        if state.sort != .file { title += " by \(state.sort.title)" }
        if !state.filter.isEmpty { title += " [\(state.filter.escapedForTerminal)]" }
        if state.rows.count > layout.listRows { title += " \(state.selection + 1)/\(state.rows.count)" }
        for (text, x) in columns.line(Format.clip(title, columns.name, glyphs: glyphs), "shape", "weights", "type", "spec", "b/w", "SQNR") {
            canvas.put(text, x: x, y: layout.listY, style: headerStyle)
        }
        if state.rows.isEmpty {
            canvas.put(state.filter.isEmpty ? "  (no tensors)" : "  no layer matches the filter; f changes it", x: 0, y: layout.listY + 1, style: .dim)
            return
        }
        for line in 0..<layout.listRows {
            let index = state.listTop + line
            guard state.rows.indices.contains(index) else { break }
            let y = layout.listY + 1 + line
            let selected = index == state.selection
            drawRow(state.rows[index], state: state, y: y, columns: columns, selected: selected, focused: focused, canvas: &canvas, glyphs: glyphs)
        }
    }

    static func drawRow(_ row: Row, state: AppState, y: Int, columns: Columns, selected: Bool, focused: Bool, canvas: inout Canvas, glyphs: Glyphs) {
        let tensors = state.model.tensors
        var base = Style.plain
        if selected { base = focused ? Style(reverse: true) : Style(bold: true, underline: true) }
        canvas.fill(x: 0, y: y, width: canvas.width, height: 1, style: base)
        switch row {
        case let .group(g):
            let group = state.groups[g]
            let collapsed = state.collapsed.contains(group.name)
            let weights = group.members.reduce(0) { $0 + tensors[$1].elementCount }
            let bytes = group.members.reduce(0) { $0 + state.resolved[$1].bytes }
            let specs = Set(group.members.map { state.resolved[$0].spec })
            let dtypes = Set(group.members.map { tensors[$0].dtype.name })
            let marked = group.members.allSatisfy(state.marks.contains)
            if marked || group.members.contains(where: state.marks.contains) {
                canvas.put(String(marked ? glyphs.mark : "."), x: 0, y: y, style: base)
            }
            let name = "\(collapsed ? glyphs.closed : glyphs.open) \(group.name.escapedForTerminal) (\(group.members.count))"
            let spec = specs.count == 1 ? specs.first!.description : "mixed"
            let cells = columns.line(Format.middle(name, columns.name, glyphs: glyphs), "", NumberFormat.count(weights), dtypes.count == 1 ? dtypes.first! : "mixed",
                                     Format.clip(spec, ListView.Columns.spec, glyphs: glyphs), Format.bits(bytes, weights: weights), "")
            for (text, x) in cells { canvas.put(text, x: x, y: y, style: Style(bold: true, reverse: base.reverse, underline: base.underline)) }
            // The group's worst SQNR.
            var worst = Double.infinity, stale = false, known = false
            for t in group.members {
                if let (result, isStale) = state.plannedResult(t) {
                    known = true
                    stale = stale || isStale
                    worst = min(worst, result.error.sqnr)
                }
            }
            if known { drawSQNR(worst, stale: stale, x: columns.sqnrX, y: y, base: base, canvas: &canvas) }
        case let .tensor(t):
            let tensor = tensors[t]
            let entry = state.resolved[t]
            let marked = state.marks.contains(t)
            if marked { canvas.put(String(glyphs.mark), x: 0, y: y, style: Style(color: .cyan, bold: true, reverse: base.reverse)) }
            var name = tensor.name.escapedForTerminal
            var indent = ""
            if state.grouped, state.groups[state.groupOfTensor[t]].members.count > 1 {
                let prefix = state.groups[state.groupOfTensor[t]].name + "."
                if name.hasPrefix(prefix) { name = String(name.dropFirst(prefix.count)) }
                indent = "  "
            }
            // `!`: the spec cannot apply; `*`: llama-quantize's fallback for a K-quant whose super-blocks do not fit the rows.
            let spec = entry.problem != nil ? "\(entry.spec)!" : entry.fallbackFor != nil ? "\(entry.spec)*" : entry.spec.description
            let cells = columns.line(indent + Format.middle(name, columns.name - indent.count, glyphs: glyphs), Format.clip(Format.shape(tensor.shape), ListView.Columns.shape, glyphs: glyphs),
                                     NumberFormat.count(tensor.elementCount), tensor.dtype.name, Format.clip(spec, ListView.Columns.spec, glyphs: glyphs),
                                     Format.bits(entry.bytes, weights: tensor.elementCount), "")
            for (text, x) in cells { canvas.put(text, x: x, y: y, style: Style(bold: marked, reverse: base.reverse, underline: base.underline)) }
            if entry.source == .override || entry.source != .defaultSpec && entry.source != .keptOneDimensional {
                // Specs set by hand or by a rule are drawn bold so the plan's structure shows.
                canvas.paint(x: columns.specX, y: y, count: min(spec.count, ListView.Columns.spec), style: Style(color: .cyan, bold: true, reverse: base.reverse, underline: base.underline))
            }
            if entry.problem != nil {
                canvas.put(Format.padLeft("n/a", ListView.Columns.sqnr), x: columns.sqnrX, y: y, style: Style(color: .red, bold: true, reverse: base.reverse))
            } else if state.failures[EvalKey(tensor: t, spec: entry.spec)] != nil {
                canvas.put(Format.padLeft("failed", ListView.Columns.sqnr), x: columns.sqnrX, y: y, style: Style(color: .red, bold: true, reverse: base.reverse))
            } else if let (result, stale) = state.plannedResult(t) {
                drawSQNR(result.error.sqnr, stale: stale, x: columns.sqnrX, y: y, base: base, canvas: &canvas)
            } else {
                canvas.put(Format.padLeft(tensor.dtype.isDecodable ? glyphs.pending : "-", ListView.Columns.sqnr), x: columns.sqnrX, y: y, style: Style(dim: true, reverse: base.reverse))
            }
        }
    }

    /// SQNR in its severity colour; a stale figure (from the previous spec) is dimmed and marked `~`.
    static func drawSQNR(_ sqnr: Double, stale: Bool, x: Int, y: Int, base: Style, canvas: inout Canvas) {
        let text = (stale ? "~" : "") + Format.sqnr(sqnr)
        let style = stale ? Style(dim: true, reverse: base.reverse, underline: base.underline)
            : Style(color: Format.severity(sqnr), bold: Format.severity(sqnr) == .red, reverse: base.reverse, underline: base.underline)
        canvas.put(Format.padLeft(text, ListView.Columns.sqnr), x: x, y: y, style: style)
    }
}
