import ArgumentParser
import Foundation
import QuantCore
import QuantTUI

/// `quantscope [MODEL] [--plan PLAN]`: the terminal explorer, the default command.
struct Explore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the terminal explorer (the default command): layers, histograms, per-layer specs, live size and error.",
        discussion: """
        Without --plan, the plan is MODEL-STEM.plan.json in the current folder: loaded when it exists, written by `s`. \
        A new plan starts with the default spec int8-channel and keeps 1-D tensors; press ? in the explorer for the keys.
        """
    )

    @Argument(help: "A model file (.safetensors, .gguf, .npy, .npz), a safetensors index or a folder of shards. Default: the bundled sample.")
    var model: String?

    @Option(help: "A plan file to load (when it exists) and to save to.")
    var plan: String?

    func run() throws {
        try reportingErrors {
            let path = try DefaultSample.resolve(model)
            let opened = try Model.open(path: path)
            let planPath = plan ?? Self.defaultPlanPath(for: path)
            var loaded: Plan
            var message: Message
            if FileManager.default.fileExists(atPath: planPath) {
                do { loaded = try PlanFile.read(path: planPath) } catch let error as PlanError { throw CLIFailure(error.description) }
                let check = PlanValidation.check(loaded, against: opened)
                if let first = check.errors.first ?? check.warnings.first {
                    let count = check.errors.count + check.warnings.count
                    message = Message("plan \(planPath): \(first)\(count > 1 ? " (and \(count - 1) more)" : "")", isError: !check.errors.isEmpty)
                } else {
                    message = Message("loaded plan \(planPath); ? shows the keys")
                }
            } else {
                loaded = Plan(defaultSpec: try QuantSpec(parsing: "int8-channel"), keepOneDimensional: true)
                message = Message("new plan (default int8-channel, 1-D kept; D changes it), saved to \(planPath) by s; ? shows the keys")
            }
            guard Console.stdoutIsTerminal, isatty(0) == 1 else {
                throw CLIFailure("the explorer needs a terminal; try `quantscope inspect`")
            }
            do {
                try Explorer.run(model: opened, plan: loaded, planPath: planPath, message: message)
            } catch let error as Terminal.StartError {
                throw CLIFailure(error.description)
            }
        }
    }

    /// `MODEL-STEM.plan.json` in the current folder.
    static func defaultPlanPath(for modelPath: String) -> String {
        var name = URL(fileURLWithPath: modelPath).standardizedFileURL.lastPathComponent
        for suffix in [".safetensors.index.json", ".safetensors", ".gguf", ".npz", ".npy", ".json"] where name.lowercased().hasSuffix(suffix) {
            name = String(name.dropLast(suffix.count))
            break
        }
        if name.isEmpty { name = "model" }
        return name + ".plan.json"
    }
}
