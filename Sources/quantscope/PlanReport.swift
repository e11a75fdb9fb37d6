import Foundation
import QuantCore

/// Text and JSON forms of the plan commands.
enum PlanReport {
    static func summary(_ plan: Plan) -> String {
        var out: [String] = []
        if let model = plan.model {
            out.append("model: \(model.fileName) (\(model.tensorCount) tensors, \(NumberFormat.grouped(model.parameterCount)) parameters, \(model.fingerprint))")
        }
        out.append("default: \(plan.defaultSpec)\(plan.keepOneDimensional ? " (1-D and non-float tensors kept)" : "")")
        if plan.rules.isEmpty { out.append("rules: none") }
        for (i, rule) in plan.rules.enumerated() { out.append("rule \(i + 1): \(rule.pattern.text.escapedForTerminal) → \(rule.spec)") }
        for (name, spec) in plan.overrides.sorted(by: { $0.key < $1.key }) { out.append("override: \(name.escapedForTerminal) → \(spec)") }
        out.append("(later rules win over earlier ones; overrides win over rules)")
        return out.joined(separator: "\n")
    }

    static func resolved(_ plan: Plan, evaluation: ModelEvaluation, modelPath: String) -> String {
        var table = TextTable([("name", .left), ("shape", .left), ("spec", .left), ("from", .left), ("bytes", .right), ("bits/w", .right), ("SQNR dB", .right)])
        for entry in evaluation.entries {
            let resolution = plan.resolve(entry.tensor)
            let r = entry.result
            let from = resolution.source.description + (resolution.fallbackFor.map { ", fallback for \($0)" } ?? "")
            table.add([entry.tensor.name.escapedForTerminal, entry.tensor.shapeText, r.spec.description, from,
                       NumberFormat.bytes(r.storedBytes), EvalReport.bpw(r.bitsPerWeight), r.spec == .keep ? "-" : EvalReport.db(r.error.sqnr)])
        }
        return [
            "\(modelPath) under this plan", "", table.render(), "",
            "total: \(NumberFormat.bytes(evaluation.storedBytes)), \(EvalReport.bpw(evaluation.bitsPerWeight)) bits/weight, "
                + String(format: "compression %.2f× vs the source, %.2f× vs F16", evaluation.compressionVsSource, evaluation.compressionVsF16),
            "error: weighted MSE \(NumberFormat.compact(evaluation.weightedMSE)), lowest SQNR \(EvalReport.decibels(evaluation.lowestSQNR))",
        ].joined(separator: "\n")
    }

    static func resolvedJSON(_ plan: Plan, evaluation: ModelEvaluation) -> JSONValue {
        .object([
            ("tensors", .array(evaluation.entries.map { entry in
                let resolution = plan.resolve(entry.tensor)
                var fields: [(key: String, value: JSONValue)] = [("name", .string(entry.tensor.name)), ("source", .string(resolution.source.description))]
                if let asked = resolution.fallbackFor { fields.append(("fallback_for", .string(asked.description))) }
                fields += EvalReport.json(entry.result)
                return .object(fields)
            })),
            ("totals", EvalReport.json(totals: evaluation, spec: plan.defaultSpec)),
        ])
    }

    static func structuralDiff(_ a: Plan, _ b: Plan) -> String {
        var out: [String] = []
        if a.defaultSpec != b.defaultSpec { out.append("default: \(a.defaultSpec) → \(b.defaultSpec)") }
        if a.keepOneDimensional != b.keepOneDimensional { out.append("keep_1d: \(a.keepOneDimensional) → \(b.keepOneDimensional)") }
        let oldRules = a.rules.map { "\($0.pattern.text) → \($0.spec)" }, newRules = b.rules.map { "\($0.pattern.text) → \($0.spec)" }
        for rule in oldRules where !newRules.contains(rule) { out.append("- rule \(rule)") }
        for rule in newRules where !oldRules.contains(rule) { out.append("+ rule \(rule)") }
        for name in Set(a.overrides.keys).union(b.overrides.keys).sorted() where a.overrides[name] != b.overrides[name] {
            out.append("override \(name.escapedForTerminal): \(a.overrides[name]?.description ?? "none") → \(b.overrides[name]?.description ?? "none")")
        }
        return out.isEmpty ? "the plans are the same" : out.joined(separator: "\n") + "\n(give --model to see the tensors affected, with size and error deltas)"
    }

    static func tensorDiff(before: ModelEvaluation, after: ModelEvaluation) -> String {
        var table = TextTable([("name", .left), ("old", .left), ("new", .left), ("bytes", .right), ("Δ bytes", .right), ("SQNR dB", .right), ("Δ SQNR", .right)])
        for (old, new) in zip(before.entries, after.entries) {
            let a = old.result, b = new.result
            let delta = b.error.sqnr - a.error.sqnr
            table.add([old.tensor.name.escapedForTerminal, a.spec.description, b.spec.description, NumberFormat.bytes(b.storedBytes),
                       signedBytes(b.storedBytes - a.storedBytes), EvalReport.db(b.error.sqnr), delta.isFinite ? String(format: "%+.2f", delta) : "-"])
        }
        return "\(before.entries.count) tensor(s) change their spec\n\n" + table.render()
    }

    static func signedBytes(_ delta: Int) -> String { (delta >= 0 ? "+" : "-") + NumberFormat.bytes(abs(delta)) }
}
