import ArgumentParser
import Foundation
import QuantCore

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the size and error of quantising a model's tensors.",
        discussion: """
        With --spec, every weight tensor of two or more dimensions gets SPEC and 1-D tensors (norms, biases) \
        are kept as stored unless --include-1d is given. A tensor the spec cannot apply to (a row length \
        that is not a multiple of the block or group size) is kept and named in a warning; a K-quant on rows \
        that are not a multiple of 256 is measured as the type llama-quantize writes instead (q4_k → q5_0, \
        q6_k → q8_0, …), marked *.

        With --compare, each tensor is measured under every listed spec side by side. \
        Spec grammar: docs/spec-grammar.md.
        """
    )

    @Argument(help: "A model file; default: the bundled sample.")
    var model: String?

    @Option(help: "The spec to evaluate, e.g. int4-g128, q4_k, nf4, fp8-e4m3.")
    var spec: String?

    @Option(help: "Comma-separated specs to compare side by side, e.g. q8_0,q4_k,int4-g128.")
    var compare: String?

    @Option(help: "A plan file: each tensor gets the spec the plan resolves for it.")
    var plan: String?

    @Option(help: "Only tensors whose name matches this glob.")
    var filter: String?

    @Flag(name: .customLong("include-1d"), help: "Quantise 1-D tensors (norms, biases) too.")
    var include1D = false

    @Flag(help: "Print JSON (docs/cli-json.md) instead of a table.")
    var json = false

    @Option(help: "How many of the worst tensors to list.")
    var worst = 5

    func validate() throws {
        guard [spec != nil, compare != nil, plan != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --spec, --plan or --compare")
        }
    }

    func run() throws {
        try reportingErrors {
            let path = try DefaultSample.resolve(model)
            let opened = try Model.open(path: path)
            let glob = filter.map(Glob.init)
            let tensors = opened.tensors.filter { glob?.matches($0.name) ?? true }
            if tensors.isEmpty { throw CLIFailure("\(path): no tensor matches \(filter ?? "")") }
            if let plan {
                let loaded = try loadPlan(plan)
                for warning in PlanValidation.check(loaded, against: opened).warnings { Console.printError("warning: \(warning)") }
                let bar = ProgressBar(label: "evaluating")
                let total = tensors.reduce(0) { $0 + $1.elementCount }
                var done = 0
                var statistics: [String: TensorStats] = [:]
                let outcomes = try tensors.map { tensor in
                    defer { done += tensor.elementCount; bar.update(done: done, total: total) }
                    return try TensorOutcome.measure(tensor, in: opened, spec: loaded.spec(for: tensor), include1D: true, statistics: &statistics)
                }
                bar.finish()
                for outcome in outcomes { if let problem = outcome.problem { throw CLIFailure("\(plan): \(problem)") } }
                let report = EvalReport(model: opened, tensors: tensors, specs: [loaded.defaultSpec], outcomes: [outcomes], worstCount: worst, title: "plan \(plan)")
                print(json ? JSONWriter.write(report.json()) : report.singleText(), terminator: json ? "" : "\n")
                return
            }
            let specs = try (spec.map { [$0] } ?? compare!.split(separator: ",").map(String.init)).map(parseSpec)
            let bar = ProgressBar(label: "evaluating")
            var evaluations: [[TensorOutcome]] = []
            let total = tensors.reduce(0) { $0 + $1.elementCount } * specs.count
            var done = 0
            // Each tensor's statistics (its range) are computed once and shared by every spec compared.
            var statistics: [String: TensorStats] = [:]
            for spec in specs {
                var outcomes: [TensorOutcome] = []
                for tensor in tensors {
                    outcomes.append(try TensorOutcome.measure(tensor, in: opened, spec: spec, include1D: include1D, statistics: &statistics))
                    done += tensor.elementCount
                    bar.update(done: done, total: total)
                }
                evaluations.append(outcomes)
            }
            bar.finish()
            if spec != nil, !json {
                for outcome in evaluations[0] {
                    if let problem = outcome.problem { Console.printError("warning: \(problem); kept as stored") }
                }
            }
            let report = EvalReport(model: opened, tensors: tensors, specs: specs, outcomes: evaluations, worstCount: worst, title: "spec \(specs[0])")
            if json {
                print(JSONWriter.write(report.json()), terminator: "")
            } else {
                print(specs.count == 1 ? report.singleText() : report.comparisonText())
            }
        }
    }
}

/// One tensor under one requested spec: the spec actually used (it may be kept) and its measured result.
struct TensorOutcome {
    let tensor: TensorInfo
    let requested: QuantSpec
    let result: QuantResult
    /// Why the requested spec was not applied, if it was not.
    let problem: String?

    var applied: Bool { problem == nil && result.spec == requested }
    /// Whether llama-quantize's fallback type was measured in place of the requested super-block type.
    var tookFallback: Bool { problem == nil && result.spec == LlamaQuantizeFallback.replacement(for: requested, tensor: tensor) }

    static func measure(_ tensor: TensorInfo, in model: Model, spec: QuantSpec, include1D: Bool, statistics: inout [String: TensorStats]) throws -> TensorOutcome {
        let keep = QuantResult.kept(tensor)
        if !tensor.dtype.isDecodable || !tensor.dtype.isFloatingPoint {
            return TensorOutcome(tensor: tensor, requested: spec, result: keep, problem: nil)
        }
        if tensor.shape.count < 2 && !include1D {
            return TensorOutcome(tensor: tensor, requested: spec, result: keep, problem: nil)
        }
        if case .keep = spec.family { return TensorOutcome(tensor: tensor, requested: spec, result: keep, problem: nil) }
        do {
            let view = try model.weights(of: tensor)
            let stats = statistics[tensor.name] ?? StatsComputer.compute(view, bins: 1)
            statistics[tensor.name] = stats
            // A K-quant whose super-blocks do not fit the rows is measured as the type llama-quantize would write.
            let used = LlamaQuantizeFallback.replacement(for: spec, tensor: tensor) ?? spec
            return TensorOutcome(tensor: tensor, requested: spec, result: try Quantizer.evaluate(view, spec: used, stats: stats), problem: nil)
        } catch let error as QuantizationError {
            return TensorOutcome(tensor: tensor, requested: spec, result: keep, problem: error.description)
        }
    }
}
