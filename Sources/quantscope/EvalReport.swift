import Foundation
import QuantCore

/// The text and JSON forms of `quantscope eval`.
struct EvalReport {
    let model: Model
    let tensors: [TensorInfo]
    let specs: [QuantSpec]
    /// outcomes[specIndex][tensorIndex]
    let outcomes: [[TensorOutcome]]
    let worstCount: Int
    /// What was evaluated, for the heading: "spec int4-g32" or "plan p.json".
    let title: String

    func evaluation(_ specIndex: Int) -> ModelEvaluation {
        ModelEvaluation(entries: outcomes[specIndex].map { ModelEvaluation.Entry(tensor: $0.tensor, result: $0.result) })
    }

    static func db(_ value: Double) -> String {
        if value.isInfinite { return value > 0 ? "exact" : "-inf" }
        return String(format: "%.2f", value)
    }

    /// `db` with its unit, for sentences: "23.41 dB", or "exact" when nothing was lost.
    static func decibels(_ value: Double) -> String {
        value.isInfinite && value > 0 ? "exact" : db(value) + " dB"
    }

    static func bpw(_ value: Double) -> String { String(format: "%.3f", value) }

    func singleText() -> String {
        let spec = specs[0]
        var table = TextTable([("name", .left), ("shape", .left), ("params", .right), ("spec", .left), ("bytes", .right), ("bits/w", .right),
                               ("MSE", .right), ("SQNR dB", .right), ("max|e|", .right), ("cosine", .right)])
        for outcome in outcomes[0] {
            let r = outcome.result, e = r.error
            let lossless = r.spec == .keep
            table.add([outcome.tensor.name.escapedForTerminal, outcome.tensor.shapeText, NumberFormat.grouped(outcome.tensor.elementCount),
                       r.spec.description + (outcome.problem != nil ? " (!)" : outcome.tookFallback ? " *" : ""), NumberFormat.bytes(r.storedBytes), Self.bpw(r.bitsPerWeight),
                       lossless ? "-" : NumberFormat.compact(e.mse), lossless ? "-" : Self.db(e.sqnr),
                       lossless ? "-" : NumberFormat.compact(e.maxAbsError), lossless ? "-" : String(format: "%.6f", e.cosine)])
        }
        let total = evaluation(0)
        var out = ["\(model.path)  \(model.format)  \(title)", "", table.render(), ""]
        out.append("total: \(NumberFormat.bytes(total.storedBytes)) (\(NumberFormat.grouped(total.storedBytes)) bytes), \(Self.bpw(total.bitsPerWeight)) bits/weight, "
            + String(format: "compression %.2f× vs the source, %.2f× vs F16", total.compressionVsSource, total.compressionVsF16))
        out.append("error: weighted MSE \(NumberFormat.compact(total.weightedMSE)), lowest SQNR \(Self.decibels(total.lowestSQNR))")
        let worst = total.worst(worstCount)
        if !worst.isEmpty {
            out.append("worst: " + worst.map { "\($0.tensor.name.escapedForTerminal) (\(Self.decibels($0.result.error.sqnr)))" }.joined(separator: ", "))
        }
        let kept = outcomes[0].filter { $0.problem != nil }.count
        if kept > 0 { out.append("note: \(kept) tensor(s) marked (!) could not take \(spec) and are kept as stored") }
        if let note = Self.fallbackNote(outcomes[0], spec: spec) { out.append(note) }
        return out.joined(separator: "\n")
    }

    func comparisonText() -> String {
        var columns: [(String, TextTable.Alignment)] = [("name", .left), ("shape", .left)]
        for spec in specs { columns += [("\(spec) b/w", .right), ("SQNR", .right)] }
        var table = TextTable(columns)
        for (t, tensor) in tensors.enumerated() {
            var row = [tensor.name.escapedForTerminal, tensor.shapeText]
            for s in specs.indices {
                let outcome = outcomes[s][t]
                if outcome.problem != nil {
                    row += ["n/a", "-"]
                } else if outcome.tookFallback {
                    row += [Self.bpw(outcome.result.bitsPerWeight) + "*", Self.db(outcome.result.error.sqnr)]
                } else if outcome.result.spec == .keep {
                    row += [Self.bpw(outcome.result.bitsPerWeight), "kept"]
                } else {
                    row += [Self.bpw(outcome.result.bitsPerWeight), Self.db(outcome.result.error.sqnr)]
                }
            }
            table.add(row)
        }
        var totals = ["total", ""]
        for s in specs.indices {
            let evaluation = evaluation(s)
            totals += [Self.bpw(evaluation.bitsPerWeight), Self.db(evaluation.lowestSQNR) + " min"]
        }
        table.add(totals)
        var out = ["\(model.path)  \(model.format)  comparing \(specs.map(\.description).joined(separator: ", "))", "", table.render(), ""]
        for s in specs.indices {
            let evaluation = evaluation(s)
            out.append("\(specs[s]): \(NumberFormat.bytes(evaluation.storedBytes)), \(Self.bpw(evaluation.bitsPerWeight)) bits/weight, weighted MSE \(NumberFormat.compact(evaluation.weightedMSE)), lowest SQNR \(Self.decibels(evaluation.lowestSQNR))")
        }
        out.append("n/a: the spec cannot apply to the tensor's shape; kept: 1-D or non-float tensors stay as stored (use --include-1d)")
        for s in specs.indices { if let note = Self.fallbackNote(outcomes[s], spec: specs[s]) { out.append(note) } }
        return out.joined(separator: "\n")
    }

    /// "note: …" for the tensors that took llama-quantize's fallback type instead of `spec`, or nil if none did.
    static func fallbackNote(_ outcomes: [TensorOutcome], spec: QuantSpec) -> String? {
        let taken = outcomes.filter(\.tookFallback)
        guard !taken.isEmpty else { return nil }
        let types = Set(taken.map(\.result.spec.description)).sorted().joined(separator: " or ")
        return "note: \(taken.count) tensor(s) marked * have rows that are not a multiple of 256, too short for \(spec)'s super-blocks, "
            + "and are measured as \(types), as llama-quantize writes them"
    }

    static func json(_ result: QuantResult) -> [(key: String, value: JSONValue)] {
        let e = result.error
        return [
            ("spec", .string(result.spec.description)),
            ("bytes", .int(result.storedBytes)),
            ("bits_per_weight", .double(result.bitsPerWeight)),
            ("mse", .double(e.mse)),
            ("rmse", .double(e.rmse)),
            ("max_abs_error", .double(e.maxAbsError)),
            ("sqnr_db", e.sqnr.isInfinite && e.sqnr > 0 ? .null : .double(e.sqnr)),
            ("cosine", .double(e.cosine)),
            ("relative_error", .double(e.relativeError)),
            ("non_finite", .int(e.nonFiniteCount)),
        ]
    }

    static func json(totals evaluation: ModelEvaluation, spec: QuantSpec) -> JSONValue {
        .object([
            ("spec", .string(spec.description)),
            ("bytes", .int(evaluation.storedBytes)),
            ("source_bytes", .int(evaluation.sourceBytes)),
            ("parameters", .int(evaluation.parameterCount)),
            ("bits_per_weight", .double(evaluation.bitsPerWeight)),
            ("compression_vs_source", .double(evaluation.compressionVsSource)),
            ("compression_vs_f16", .double(evaluation.compressionVsF16)),
            ("weighted_mse", .double(evaluation.weightedMSE)),
            ("lowest_sqnr_db", evaluation.lowestSQNR.isInfinite ? .null : .double(evaluation.lowestSQNR)),
        ])
    }

    func json() -> JSONValue {
        var tensorEntries: [JSONValue] = []
        for (t, tensor) in tensors.enumerated() {
            var fields: [(key: String, value: JSONValue)] = [
                ("name", .string(tensor.name)), ("dtype", .string(tensor.dtype.name)),
                ("shape", .array(tensor.shape.map { .int($0) })), ("parameters", .int(tensor.elementCount)),
                ("source_bytes", .int(tensor.byteCount)),
            ]
            fields.append(("results", .array(specs.indices.map { s in
                let outcome = outcomes[s][t]
                var entry = Self.json(outcome.result)
                entry.insert(("requested", .string(outcome.requested.description)), at: 0)
                if let problem = outcome.problem { entry.append(("problem", .string(problem))) }
                return .object(entry)
            })))
            tensorEntries.append(.object(fields))
        }
        return .object([
            ("file", .string(model.path)),
            ("format", .string(model.format.description)),
            ("specs", .array(specs.map { .string($0.description) })),
            ("tensors", .array(tensorEntries)),
            ("totals", .array(specs.indices.map { Self.json(totals: evaluation($0), spec: specs[$0]) })),
        ])
    }
}
