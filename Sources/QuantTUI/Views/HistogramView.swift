import QuantCore

/// The histogram pane: the selected tensor's weights (or their dequantised values, or the error) as
/// eighth-block bars, linear or log, zoomed to the central mass, with the quantisation grid on the axis.
enum HistogramView {
    static func draw(_ state: AppState, into canvas: inout Canvas, glyphs: Glyphs) {
        let layout = state.layout
        let x0 = 0, width = layout.histogramWidth, y0 = layout.panesY, height = layout.panesHeight
        let focused = state.focus == .histogram
        guard let t = state.selectedTensor else { return }
        let tensor = state.model.tensors[t]
        let spec = state.resolved[t].spec
        let sourceName: String
        switch state.histogramSource {
        case .weights: sourceName = "weights"
        case .dequantized: sourceName = "dequantised \(spec)"
        case .error: sourceName = "error \(spec)"
        }
        let flags = [state.logScale ? "log" : "lin", ["full", "99.9%", "99%"][state.zoom]].joined(separator: " ")
        PaneTitle.draw("\(sourceName) \(glyphs.vertical) \(flags)", x: x0, y: y0, width: width, focused: focused, canvas: &canvas, glyphs: glyphs)
        let bodyY = y0 + 1, bodyHeight = height - 1
        let barRows = max(1, bodyHeight - 3)
        let plotWidth = max(8, width - 1)

        if !tensor.dtype.isDecodable {
            canvas.put(" \(tensor.dtype.name) cannot be decoded", x: x0, y: bodyY, style: .dim)
            return
        }
        guard let stats = state.stats[t] else {
            let failed = state.statsFailures[t]
            canvas.put(failed.map { " statistics failed: \($0)" } ?? " \(glyphs.spinner[state.tick % glyphs.spinner.count]) computing statistics\(glyphs.ellipsis)", x: x0, y: bodyY, style: failed == nil ? .dim : Style(color: .red), limit: width)
            return
        }
        var histogram = stats.histogram
        var note = ""
        let planned = state.plannedResult(t)
        switch state.histogramSource {
        case .weights: break
        case .dequantized, .error:
            if case .keep = spec.family {
                note = "keep: no quantisation"
                if state.histogramSource == .error { histogram = Histogram(lower: 0, upper: 0, counts: [stats.count]) }
            } else if let (result, stale) = planned, !stale, let h = state.histogramSource == .dequantized ? result.dequantizedHistogram : result.errorHistogram {
                histogram = h
            } else if let failure = state.failures[EvalKey(tensor: t, spec: spec)] {
                canvas.put(" " + failure, x: x0, y: bodyY, style: Style(color: .red), limit: width)
                return
            } else {
                canvas.put(" \(glyphs.spinner[state.tick % glyphs.spinner.count]) measuring \(spec)\(glyphs.ellipsis)", x: x0, y: bodyY, style: .dim, limit: width)
                return
            }
        }
        if state.zoom > 0 { histogram = crop(histogram, keeping: state.zoom == 1 ? 0.999 : 0.99) }
        let plot = HistogramPlot(histogram: histogram, width: plotWidth, height: barRows, logarithmic: state.logScale, ascii: glyphs.ascii)
        let rendered = plot.render()
        for (i, line) in rendered.prefix(barRows + 1).enumerated() {
            canvas.put(line, x: x0 + 1, y: bodyY + i, style: i < barRows ? Style(color: state.histogramSource == .error ? .magenta : .blue) : .dim, limit: plotWidth)
        }
        if let labels = rendered.last { canvas.put(labels, x: x0 + 1, y: bodyY + barRows + 1, limit: plotWidth) }
        // The grid over the weights and dequantised values.
        var legend = note
        if state.showGrid, state.histogramSource != .error, let grid = QuantGrid.make(spec, stats: stats) {
            let axisY = bodyY + barRows
            let span = histogram.upper - histogram.lower
            func column(_ value: Double) -> Int? {
                guard span > 0 else { return nil }
                let c = Int(((value - histogram.lower) / span * Double(plotWidth)).rounded(.down))
                return (0..<plotWidth).contains(c) ? c : (value == histogram.upper ? plotWidth - 1 : nil)
            }
            let columns = Set(grid.levels.compactMap(column))
            let drawLevels = !grid.levels.isEmpty && grid.levels.count <= plotWidth / 2
            if drawLevels { for c in columns { canvas.put(String(glyphs.tick), x: x0 + 1 + c, y: axisY, style: Style(color: .yellow)) } }
            if let clip = grid.clip {
                if let c = column(clip.lowerBound) { canvas.put("[", x: x0 + 1 + c, y: axisY, style: Style(color: .red, bold: true)) }
                if let c = column(clip.upperBound) { canvas.put("]", x: x0 + 1 + c, y: axisY, style: Style(color: .red, bold: true)) }
            }
            legend = "grid \(spec): " + grid.note + (drawLevels ? "" : grid.levels.isEmpty ? "" : " (too dense)")
            if let clip = grid.clip { legend += ", clip \(NumberFormat.compact(clip.lowerBound))..\(NumberFormat.compact(clip.upperBound))" }
        } else if state.histogramSource == .error, let (result, _) = planned {
            legend = "max |e| \(NumberFormat.compact(result.error.maxAbsError)), RMSE \(NumberFormat.compact(result.error.rmse))"
        }
        if bodyY + barRows + 2 < y0 + height { canvas.put(" " + legend, x: x0, y: bodyY + barRows + 2, style: .dim, limit: width) }
    }

    /// The bins that hold the central `fraction` of the counts (equal tails cut on each side).
    static func crop(_ histogram: Histogram, keeping fraction: Double) -> Histogram {
        let total = histogram.total
        guard total > 0, histogram.binCount > 2 else { return histogram }
        let tail = Double(total) * (1 - fraction) / 2
        var low = 0, sum = 0
        while low < histogram.binCount - 1, Double(sum + histogram.counts[low]) <= tail { sum += histogram.counts[low]; low += 1 }
        var high = histogram.binCount - 1
        sum = 0
        while high > low, Double(sum + histogram.counts[high]) <= tail { sum += histogram.counts[high]; high -= 1 }
        return Histogram(lower: histogram.range(ofBin: low).lowerBound, upper: histogram.range(ofBin: high).upperBound, counts: Array(histogram.counts[low...high]))
    }
}

/// A pane's title row, reversed when the pane has the focus.
enum PaneTitle {
    static func draw(_ title: String, x: Int, y: Int, width: Int, focused: Bool, canvas: inout Canvas, glyphs: Glyphs) {
        let style = focused ? Style(bold: true, reverse: true) : Style(bold: true)
        canvas.fill(x: x, y: y, width: width, height: 1, style: style, character: focused ? " " : glyphs.horizontal)
        canvas.put(" " + Format.clip(title, width - 3, glyphs: glyphs) + " ", x: x + 1, y: y, style: style)
    }
}
