import ArgumentParser
import Foundation
import QuantCore

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Create, show, validate and compare quantisation plans (docs/plan-format.md).",
        subcommands: [PlanInit.self, PlanShow.self, PlanValidate.self, PlanDiff.self]
    )
}

/// Opens a plan file, turning plan errors into CLI failures.
func loadPlan(_ path: String) throws -> Plan {
    do { return try PlanFile.read(path: path) } catch let error as PlanError { throw CLIFailure(error.description) }
}

func parseSpec(_ text: String) throws -> QuantSpec {
    do { return try QuantSpec(parsing: text) } catch let error as QuantSpecError { throw CLIFailure(error.description) }
}

/// Evaluates a plan on a model: one result per tensor, cached results reused.
func evaluate(_ plan: Plan, on model: Model, label: String, cache: EvaluationCache? = nil) throws -> ModelEvaluation {
    let bar = ProgressBar(label: label)
    defer { bar.finish() }
    do {
        return try ModelEvaluation.evaluate(model, cache: cache, progress: { bar.update(done: $0, total: $1) }) { plan.spec(for: $0) }
    } catch let error as QuantizationError {
        throw CLIFailure("\(model.path): \(error.description)")
    }
}

struct PlanInit: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Write a new plan for a model.")

    @Argument(help: "The model the plan is for.") var model: String
    @Option(name: .shortAndLong, help: "The plan file to write.") var output: String
    @Option(help: "The default spec for weight tensors.") var spec = "q8_0"
    @Flag(name: .customLong("quantize-1d"), help: "Apply the default to 1-D tensors (norms, biases) too.") var quantize1D = false
    @Flag(help: "Replace an existing plan file (the old one is kept as .bak).") var force = false

    func run() throws {
        try reportingErrors {
            let opened = try Model.open(path: model)
            if FileManager.default.fileExists(atPath: output) && !force {
                throw CLIFailure("\(output): already exists; use --force to replace it (the old plan is kept as \(output).bak)")
            }
            let plan = Plan(defaultSpec: try parseSpec(spec), keepOneDimensional: !quantize1D, model: ModelIdentity(opened))
            let validation = PlanValidation.check(plan, against: opened)
            guard validation.isValid else {
                throw CLIFailure("\(opened.path): the default \(spec) cannot apply to every tensor:\n  " + validation.errors.prefix(5).joined(separator: "\n  ")
                                 + "\nchoose another --spec, or write the plan and add rules for these tensors")
            }
            let evaluation = try evaluate(plan, on: opened, label: "evaluating")
            do { try PlanFile.write(plan, totals: PlanFile.Totals(evaluation), to: output) } catch let error as PlanError { throw CLIFailure(error.description) }
            print("wrote \(output): default \(plan.defaultSpec), \(NumberFormat.bytes(evaluation.storedBytes)), \(EvalReport.bpw(evaluation.bitsPerWeight)) bits/weight, lowest SQNR \(EvalReport.decibels(evaluation.lowestSQNR))")
        }
    }
}

struct PlanShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a plan; with --model, the resolved spec of every tensor and the totals.")

    @Argument(help: "The plan file.") var plan: String
    @Option(help: "The model to resolve the plan against.") var model: String?
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        try reportingErrors {
            let loaded = try loadPlan(plan)
            guard let modelPath = model else {
                print(json ? PlanFile.encode(loaded) : PlanReport.summary(loaded), terminator: json ? "" : "\n")
                return
            }
            let opened = try Model.open(path: modelPath)
            let validation = PlanValidation.check(loaded, against: opened)
            for warning in validation.warnings { Console.printError("warning: \(warning)") }
            guard validation.isValid else { throw CLIFailure("\(plan): " + validation.errors.joined(separator: "\n  ")) }
            let evaluation = try evaluate(loaded, on: opened, label: "evaluating")
            if json {
                print(JSONWriter.write(PlanReport.resolvedJSON(loaded, evaluation: evaluation)), terminator: "")
            } else {
                print(PlanReport.resolved(loaded, evaluation: evaluation, modelPath: opened.path))
            }
        }
    }
}

struct PlanValidate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "validate", abstract: "Check that a plan applies to a model; exit 1 if it does not.")

    @Argument(help: "The plan file.") var plan: String
    @Option(help: "The model.") var model: String

    func run() throws {
        try reportingErrors {
            let loaded = try loadPlan(plan)
            let opened = try Model.open(path: model)
            let validation = PlanValidation.check(loaded, against: opened)
            for warning in validation.warnings { print("warning: \(warning)") }
            for error in validation.errors { print("error: \(error)") }
            if validation.isValid {
                print("\(plan): valid for \(opened.path) (\(opened.tensors.count) tensors\(validation.warnings.isEmpty ? "" : ", \(validation.warnings.count) warning(s)"))")
            } else {
                throw CLIFailure("\(plan): \(validation.errors.count) tensor(s) cannot take their spec")
            }
        }
    }
}

struct PlanDiff: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff", abstract: "Show what changes between two plans; with --model, per tensor with size and error deltas.")

    @Argument(help: "The old plan.") var a: String
    @Argument(help: "The new plan.") var b: String
    @Option(help: "The model, to list tensors whose spec changes with their size and error.") var model: String?

    func run() throws {
        try reportingErrors {
            let old = try loadPlan(a), new = try loadPlan(b)
            guard let modelPath = model else {
                print(PlanReport.structuralDiff(old, new))
                return
            }
            let opened = try Model.open(path: modelPath)
            let changed = opened.tensors.filter { old.spec(for: $0) != new.spec(for: $0) }
            if changed.isEmpty { print("no tensor changes its spec"); return }
            // One cache: the changed tensors measured for the table are reused by the totals.
            let cache = EvaluationCache()
            let before = try ModelEvaluation.evaluate(opened, tensors: changed, cache: cache) { old.spec(for: $0) }
            let after = try ModelEvaluation.evaluate(opened, tensors: changed, cache: cache) { new.spec(for: $0) }
            print(PlanReport.tensorDiff(before: before, after: after))
            let totalBefore = try evaluate(old, on: opened, label: "totals", cache: cache), totalAfter = try evaluate(new, on: opened, label: "totals", cache: cache)
            print("")
            print("total: \(NumberFormat.bytes(totalBefore.storedBytes)) → \(NumberFormat.bytes(totalAfter.storedBytes)) (\(PlanReport.signedBytes(totalAfter.storedBytes - totalBefore.storedBytes))), "
                + "\(EvalReport.bpw(totalBefore.bitsPerWeight)) → \(EvalReport.bpw(totalAfter.bitsPerWeight)) bits/weight, "
                + "lowest SQNR \(EvalReport.decibels(totalBefore.lowestSQNR)) → \(EvalReport.decibels(totalAfter.lowestSQNR))")
        }
    }
}
