/// How a plan fits a model: tensors it cannot apply to are errors; rules and overrides that match
/// nothing, and a model that differs from the one recorded, are warnings.
public struct PlanValidation: Sendable {
    public var errors: [String] = []
    public var warnings: [String] = []

    public var isValid: Bool { errors.isEmpty }

    /// Checks `plan` against `model`: identity, rules and overrides that match nothing, and whether every
    /// tensor's spec fits its shape and type.
    public static func check(_ plan: Plan, against model: Model) -> PlanValidation {
        var result = PlanValidation()
        if let recorded = plan.model {
            let actual = ModelIdentity(model)
            if recorded.fingerprint != actual.fingerprint {
                result.warnings.append("the plan was made for \(recorded.fileName) (\(recorded.tensorCount) tensors, \(recorded.parameterCount) parameters), not this model (\(actual.tensorCount) tensors, \(actual.parameterCount) parameters)")
            }
        }
        let names = Set(model.tensors.map(\.name))
        for (i, rule) in plan.rules.enumerated() where !model.tensors.contains(where: { plan.resolve($0).source == .rule(i) }) {
            let matchesAny = model.tensors.contains { rule.pattern.matches($0.name) }
            result.warnings.append("rule \(i + 1) (\(rule.pattern.text.escapedForTerminal) → \(rule.spec)) " + (matchesAny ? "decides no tensor (later rules, overrides or keep_1d take precedence)" : "matches no tensor"))
        }
        for name in plan.overrides.keys.sorted() where !names.contains(name) {
            result.warnings.append("override for \(name.escapedForTerminal) names no tensor of this model")
        }
        var fallbacks: [(decided: QuantSpec, used: QuantSpec, tensors: [TensorInfo])] = []
        for tensor in model.tensors {
            let (spec, source, fallbackFor) = plan.resolve(tensor)
            if let problem = applicability(of: spec, to: tensor) {
                result.errors.append("\(tensor.name.escapedForTerminal): \(spec) (from \(source)) \(problem)")
            }
            if let decided = fallbackFor {
                if let i = fallbacks.firstIndex(where: { $0.decided == decided && $0.used == spec }) {
                    fallbacks[i].tensors.append(tensor)
                } else {
                    fallbacks.append((decided, spec, [tensor]))
                }
            }
        }
        for fallback in fallbacks {
            let first = fallback.tensors[0], others = fallback.tensors.count - 1
            let rows = Set(fallback.tensors.map(\.rowLength)).sorted().map(String.init).joined(separator: ", ")
            result.warnings.append("\(first.name.escapedForTerminal)\(others > 0 ? " and \(others) other tensor\(others == 1 ? "" : "s")" : ""): "
                + "\(fallback.decided) needs rows that are a multiple of 256, not \(rows); \(fallback.used) is used instead, as llama-quantize does")
        }
        return result
    }

    /// Why `spec` cannot be applied to `tensor`, or nil if it can. Checks shapes and types only; reads no weights.
    public static func applicability(of spec: QuantSpec, to tensor: TensorInfo) -> String? {
        if case .keep = spec.family { return nil }
        if !tensor.dtype.isDecodable { return "cannot apply: the stored type \(tensor.dtype.name) cannot be decoded" }
        let row = tensor.rowLength
        switch spec.family {
        case let .integer(p):
            if case let .group(size) = p.granularity, row % size != 0 { return "cannot apply: group size \(size) does not divide the row length \(row)" }
        case let .nf4(group, _):
            if row % group != 0 { return "cannot apply: group size \(group) does not divide the row length \(row)" }
        case .mxfp4:
            if row % 32 != 0 { return "cannot apply: the row length \(row) is not a multiple of 32" }
        case .nvfp4:
            if row % 16 != 0 { return "cannot apply: the row length \(row) is not a multiple of 16" }
        case let .gguf(type):
            if row % type.blockSize != 0 { return "cannot apply: the row length \(row) is not a multiple of the \(type.name) block size \(type.blockSize)" }
        default: break
        }
        return nil
    }
}
