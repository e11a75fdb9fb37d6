import QuantCore

/// The top two rows: model, plan file, unsaved marker and background progress; then the plan's size and error.
enum StatusBar {
    static func draw(_ state: AppState, into canvas: inout Canvas, glyphs: Glyphs) {
        let width = canvas.width
        let bar = Style(reverse: true)
        canvas.fill(x: 0, y: 0, width: width, height: 1, style: bar)
        let planName = state.planPath.split(separator: "/").last.map(String.init) ?? state.planPath
        let progress = state.progress
        var right = ""
        let busy = progress.statsDone < progress.statsTotal || progress.evalDone < progress.evalTotal || state.running != nil
        if busy, progress.statsDone == progress.statsTotal, progress.evalDone == progress.evalTotal {
            right = "\(glyphs.spinner[state.tick % glyphs.spinner.count]) measuring candidates "
        } else if busy {
            right = "\(glyphs.spinner[state.tick % glyphs.spinner.count]) stats \(progress.statsDone)/\(progress.statsTotal), eval \(progress.evalDone)/\(progress.evalTotal) "
        } else {
            right = "stats \(progress.statsDone)/\(progress.statsTotal), eval \(progress.evalDone)/\(progress.evalTotal) "
        }
        let dirty = state.isDirty ? " \(glyphs.mark) unsaved" : ""
        let weights = width >= 100 ? ", \(NumberFormat.count(state.model.parameterCount)) weights" : ""
        let left = " \(state.model.fileName.escapedForTerminal) \(glyphs.vertical) \(state.model.tensors.count) layers\(weights) \(glyphs.vertical) plan \(planName.escapedForTerminal)"
        let room = max(0, width - right.count - dirty.count - 1)
        var x = canvas.put(Format.clip(left, room, glyphs: glyphs), x: 0, y: 0, style: bar)
        if !dirty.isEmpty { x = canvas.put(dirty, x: x, y: 0, style: Style(color: .yellow, bold: true, reverse: true)) }
        canvas.put(right, x: max(x + 1, width - right.count), y: 0, style: bar)

        let totals = state.totals
        let approx = totals.pending > 0 ? "~" : ""
        let v = glyphs.vertical
        let sizeText = width >= 110
            ? " size \(NumberFormat.bytes(totals.sourceBytes)) \(glyphs.arrow) \(NumberFormat.bytes(totals.bytes)) \(v) \(Format.fixed(totals.bitsPerWeight, 2)) b/w \(v) \(Format.ratio(totals.vsSource, glyphs: glyphs)) vs source, \(Format.ratio(totals.vsF16, glyphs: glyphs)) vs F16 \(v) "
            : " \(NumberFormat.bytes(totals.bytes)) \(v) \(Format.fixed(totals.bitsPerWeight, 2)) b/w \(v) \(Format.ratio(totals.vsSource, glyphs: glyphs)) src \(Format.ratio(totals.vsF16, glyphs: glyphs)) F16 \(v) "
        x = canvas.put(sizeText, x: 0, y: 1, style: .bold)
        x = canvas.put("MSE \(approx)\(NumberFormat.compact(totals.weightedMSE)) worst \(approx)", x: x, y: 1)
        x = canvas.put(Format.sqnr(totals.worstSQNR), x: x, y: 1, style: Style(color: Format.severity(totals.worstSQNR), bold: true))
        var tail = ""
        if let t = totals.worstTensor { tail += " " + state.model.tensors[t].name.escapedForTerminal }
        if totals.pending > 0 { tail += " (\(totals.pending) pending)" }
        canvas.put(Format.clip(tail, max(0, width - x), glyphs: glyphs), x: x, y: 1, style: .dim)
    }
}
