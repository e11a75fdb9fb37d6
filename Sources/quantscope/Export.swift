import ArgumentParser
import Foundation
import QuantCore

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a plan for other tools.",
        discussion: """
        --to llama-quantize writes `pattern=type` lines for `llama-quantize --tensor-type-file` (patterns are anchored \
        to exact tensor names, so llama.cpp's first-match rule gives each tensor exactly its planned type) and prints the \
        equivalent command line. It needs --model to resolve rules to tensors. --to json writes the normalised plan.
        """
    )

    @Argument(help: "The plan file.") var plan: String
    @Option(help: "llama-quantize or json.") var to: String
    @Option(help: "The model (needed for llama-quantize).") var model: String?
    @Option(name: .shortAndLong, help: "Write here instead of stdout.") var output: String?

    func run() throws {
        try reportingErrors {
            let loaded = try loadPlan(plan)
            let text: String
            switch to {
            case "json":
                text = PlanFile.encode(loaded)
            case "llama-quantize":
                guard let modelPath = model else { throw CLIFailure("--to llama-quantize needs --model to resolve the plan's rules to tensor names") }
                let opened = try Model.open(path: modelPath)
                let validation = PlanValidation.check(loaded, against: opened)
                for warning in validation.warnings { Console.printError("warning: \(warning)") }
                guard validation.isValid else { throw CLIFailure("\(plan): " + validation.errors.prefix(5).joined(separator: "\n  ")) }
                text = try LlamaQuantizeExport.render(loaded, model: opened)
            default:
                throw CLIFailure("unknown export target '\(to)'; use llama-quantize or json")
            }
            if let output {
                do { try AtomicFile.write(Data(text.utf8), to: output) } catch let error as PlanError { throw CLIFailure(error.description) }
                if to == "llama-quantize" {
                    FileHandle.standardError.write(Data("wrote \(output)\n".utf8))
                    print(LlamaQuantizeExport.commandLine(text, typesFile: output))
                }
            } else {
                print(text, terminator: "")
            }
        }
    }
}

/// The `--tensor-type-file` form for llama-quantize.
enum LlamaQuantizeExport {
    static func render(_ plan: Plan, model: Model) throws -> String {
        var counts: [GGMLType: Int] = [:]
        var lines: [String] = []
        var notExportable: [String] = []
        for tensor in model.tensors {
            let spec = plan.spec(for: tensor)
            switch spec.family {
            case let .gguf(type):
                lines.append("^\(NSRegularExpression.escapedPattern(for: tensor.name))$=\(type.name.lowercased())")
                counts[type, default: 0] += tensor.elementCount
            case let .float(storage):
                lines.append("^\(NSRegularExpression.escapedPattern(for: tensor.name))$=\(storage.rawValue)")
            case .keep:
                // llama-quantize would otherwise give a kept weight the default type.
                if case let .ggml(type) = tensor.dtype {
                    lines.append("^\(NSRegularExpression.escapedPattern(for: tensor.name))$=\(type.name.lowercased())")
                } else if [DType.f32, .f16, .bf16].contains(tensor.dtype) {
                    lines.append("^\(NSRegularExpression.escapedPattern(for: tensor.name))$=\(tensor.dtype.name.lowercased())")
                }
            default:
                notExportable.append("\(tensor.name.escapedForTerminal) (\(spec))")
            }
        }
        if !notExportable.isEmpty {
            throw CLIFailure("llama.cpp has no type for \(notExportable.prefix(3).joined(separator: ", "))\(notExportable.count > 3 ? " and \(notExportable.count - 3) more" : ""); use GGUF types in the plan")
        }
        let base = counts.max { $0.value < $1.value }?.key.name ?? "Q8_0"
        return "# quantscope plan export for \(model.path); default type for `llama-quantize`: \(base)\n" + lines.joined(separator: "\n") + "\n"
    }

    /// The command that applies an exported file (the default type is the file's most common type).
    static func commandLine(_ exported: String, typesFile: String) -> String {
        let base = exported.split(separator: "\n").first.flatMap { $0.components(separatedBy: "llama-quantize`: ").last } ?? "Q8_0"
        return "llama-quantize --tensor-type-file \(typesFile) MODEL-F16.gguf OUTPUT.gguf \(base)"
    }
}
