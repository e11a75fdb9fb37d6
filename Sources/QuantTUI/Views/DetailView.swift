import Foundation
import QuantCore

/// The detail pane: the selected tensor's statistics, its planned spec with size and every error metric,
/// and a table of candidate specs (bits per weight against SQNR) to choose from.
enum DetailView {
    static func draw(_ state: AppState, into canvas: inout Canvas, glyphs: Glyphs) {
        let layout = state.layout
        let x0 = layout.detailX, width = layout.detailWidth, y0 = layout.panesY, height = layout.panesHeight
        for y in y0..<(y0 + height) { canvas.put(String(glyphs.vertical), x: x0 - 1, y: y, style: .dim) }
        guard let t = state.selectedTensor else { return }
        let tensor = state.model.tensors[t]
        let focused = state.focus == .detail
        let info = infoLines(state, tensor: t, glyphs: glyphs, wide: width >= 56)
        let body = height - 1
        let showBoth = body >= info.count + 5
        let showCandidates = showBoth || focused
        PaneTitle.draw(showCandidates && !showBoth ? "candidates for \(tensor.name.escapedForTerminal)" : tensor.name.escapedForTerminal, x: x0, y: y0, width: width, focused: focused, canvas: &canvas, glyphs: glyphs)
        var y = y0 + 1
        if showBoth || !focused {
            for (text, style) in info.prefix(body) {
                canvas.put(" " + text, x: x0, y: y, style: style, limit: width)
                y += 1
            }
            if !showBoth {
                if y < y0 + height { canvas.put(" Tab to here: candidate specs", x: x0, y: y, style: .dim, limit: width) }
                return
            }
        }
        drawCandidates(state, tensor: t, x: x0, y: y, width: width, rows: y0 + height - y, cursor: focused ? state.candidateCursor : nil, canvas: &canvas, glyphs: glyphs)
    }

    static func infoLines(_ state: AppState, tensor t: Int, glyphs: Glyphs, wide: Bool = false) -> [(String, Style)] {
        let tensor = state.model.tensors[t]
        let entry = state.resolved[t]
        var lines: [(String, Style)] = []
        lines.append(("\(tensor.dtype.name) \(Format.shape(tensor.shape)), \(NumberFormat.grouped(tensor.elementCount)) weights", .plain))
        let size = "\(NumberFormat.bytes(entry.bytes)), \(Format.bits(entry.bytes, weights: tensor.elementCount)) b/w"
        if wide {
            lines.append(("\(entry.spec) (\(entry.source)): \(size)", .bold))
        } else {
            lines.append(("\(entry.spec) (\(entry.source))", .bold))
            lines.append((size, .plain))
        }
        if let asked = entry.fallbackFor {
            lines.append(("fallback for \(asked) (rows of \(tensor.rowLength)), as llama-quantize", Style(color: .yellow)))
        }
        if let problem = entry.problem {
            lines.append((problem, Style(color: .red)))
        } else if let failure = state.failures[EvalKey(tensor: t, spec: entry.spec)] {
            lines.append(("failed: \(failure)", Style(color: .red)))
        } else if case .keep = entry.spec.family {
            lines.append(("kept as stored: no error", .dim))
        } else if let (result, stale) = state.plannedResult(t) {
            let e = result.error
            let mark = stale ? "~" : ""
            let style = stale ? Style.dim : Style(color: Format.severity(e.sqnr))
            lines.append(("\(mark)SQNR \(Format.sqnr(e.sqnr))  cos \(String(format: "%.6f", e.cosine))" + (stale ? "  (was \(result.spec))" : ""), style))
            lines.append(("\(mark)MSE \(NumberFormat.compact(e.mse))  RMSE \(NumberFormat.compact(e.rmse))", stale ? .dim : .plain))
            lines.append(("\(mark)max|e| \(NumberFormat.compact(e.maxAbsError))  rel \(NumberFormat.percent(e.relativeError))" + (e.nonFiniteCount > 0 ? "  non-finite \(e.nonFiniteCount)" : ""), stale ? .dim : .plain))
        } else {
            lines.append(("\(glyphs.spinner[state.tick % glyphs.spinner.count]) measuring \(entry.spec)\(glyphs.ellipsis)", .dim))
        }
        if let s = state.stats[t] {
            let outliers = outlierCount(s).map { "~\(NumberFormat.count($0))" } ?? "-"
            let bad: Style = s.nanCount + s.infCount > 0 ? Style(color: .red, bold: true) : .plain
            if wide {
                lines.append(("min \(NumberFormat.compact(s.min))  max \(NumberFormat.compact(s.max))  mean \(NumberFormat.compact(s.mean))", .plain))
                lines.append(("std \(NumberFormat.compact(s.std))  kurtosis \(NumberFormat.compact(s.kurtosis))  zeros \(NumberFormat.percent(s.zeroFraction))", .plain))
            } else {
                lines.append(("min \(NumberFormat.compact(s.min))  max \(NumberFormat.compact(s.max))", .plain))
                lines.append(("mean \(NumberFormat.compact(s.mean))  std \(NumberFormat.compact(s.std))", .plain))
                lines.append(("kurtosis \(NumberFormat.compact(s.kurtosis))  zeros \(NumberFormat.percent(s.zeroFraction))", .plain))
            }
            lines.append(("outliers >6 std \(outliers)  NaN \(s.nanCount)  Inf \(s.infCount)", bad))
        } else if tensor.dtype.isDecodable {
            lines.append(("statistics pending\(glyphs.ellipsis)", .dim))
        } else {
            lines.append(("\(tensor.dtype.name) cannot be decoded: listed only", .dim))
        }
        return lines
    }

    /// Weights more than 6 standard deviations from the mean, counted from the histogram's bins (so approximate).
    static func outlierCount(_ s: TensorStats) -> Int? {
        guard s.count > 0, s.std > 0, s.std.isFinite else { return nil }
        let lo = s.mean - 6 * s.std, hi = s.mean + 6 * s.std
        var count = 0
        for (b, n) in s.histogram.counts.enumerated() where n > 0 {
            let range = s.histogram.range(ofBin: b)
            let center = (range.lowerBound + range.upperBound) / 2
            if center < lo || center > hi { count += n }
        }
        return count
    }

    /// The candidate table: spec, bits per weight, SQNR; the planned spec is marked, the cursor reversed.
    static func drawCandidates(_ state: AppState, tensor t: Int, x: Int, y: Int, width: Int, rows: Int, cursor: Int?, canvas: inout Canvas, glyphs: Glyphs) {
        guard rows > 1 else { return }
        let tensor = state.model.tensors[t]
        let list = SpecStepper.candidates(for: tensor)
        canvas.put(" " + Format.pad("candidate", 18) + Format.padLeft("b/w", 6) + Format.padLeft("SQNR", 10), x: x, y: y, style: Style(underline: true), limit: width)
        let visible = rows - 1
        let top = cursor.map { max(0, min($0 - visible / 2, list.count - visible)) } ?? 0
        for (line, index) in (top..<min(list.count, top + visible)).enumerated() {
            let spec = list[index]
            let rowY = y + 1 + line
            let selected = cursor == index
            let base = selected ? Style(reverse: true) : Style.plain
            if selected { canvas.fill(x: x, y: rowY, width: width, height: 1, style: base) }
            let planned = state.resolved[t].spec == spec
            let bytes = SpecSize.storedBytes(of: tensor, spec: spec) ?? tensor.byteCount
            canvas.put((planned ? String(glyphs.pointer) : " ") + Format.pad(spec.description, 18) + Format.padLeft(Format.bits(bytes, weights: tensor.elementCount), 6), x: x, y: rowY, style: planned ? Style(bold: true, reverse: selected) : base, limit: width)
            let key = EvalKey(tensor: t, spec: spec)
            let sqnrText: String, style: Style
            if let result = state.bestResult(key) {
                sqnrText = Format.sqnr(result.error.sqnr)
                style = Style(color: Format.severity(result.error.sqnr), reverse: selected)
            } else if state.failures[key] != nil {
                sqnrText = "failed"
                style = Style(color: .red, reverse: selected)
            } else {
                sqnrText = glyphs.pending
                style = Style(dim: true, reverse: selected)
            }
            canvas.put(Format.padLeft(sqnrText, 10), x: x + 25, y: rowY, style: style, limit: max(0, width - 25))
        }
    }
}
