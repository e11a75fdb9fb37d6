import ArgumentParser
import Foundation
import QuantCore

struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the model quantised as a plan says: a GGUF that llama.cpp loads, or dequantised weights.",
        discussion: """
        -o OUT.gguf stores every tensor in its planned type (GGUF block types, F32, F16, BF16), bit-exact with \
        llama.cpp's reference quantisers. Specs without a GGUF type (int4-g128, nf4, fp8-…) are refused unless \
        --simulate is given, which writes them dequantised ("fake-quantised"). -o OUT.safetensors --simulate writes \
        every tensor dequantised, for accuracy tests in PyTorch. The output appears only when complete.
        """
    )

    @Argument(help: "The model.") var model: String
    @Option(help: "The plan file.") var plan: String
    @Option(name: .shortAndLong, help: "The output file (.gguf or .safetensors).") var output: String
    @Flag(help: "Write specs without a GGUF type dequantised instead of refusing them.") var simulate = false
    @Option(name: .customLong("simulate-as"), help: "Float type for dequantised tensors: f32, f16 or bf16.") var simulateAs = "f32"
    @Flag(help: "Replace an existing output file.") var force = false

    func run() throws {
        try reportingErrors {
            let opened = try Model.open(path: model)
            let loaded = try loadPlan(plan)
            guard let storage = QuantSpec.FloatStorage(rawValue: simulateAs) else { throw CLIFailure("--simulate-as must be f32, f16 or bf16") }
            let toSafetensors = output.lowercased().hasSuffix(".safetensors")
            guard toSafetensors || output.lowercased().hasSuffix(".gguf") else { throw CLIFailure("\(output): the output must end in .gguf or .safetensors") }
            if toSafetensors && !simulate { throw CLIFailure("\(output): safetensors output holds dequantised weights; add --simulate") }
            if FileManager.default.fileExists(atPath: output) && !force { throw CLIFailure("\(output): already exists; use --force to replace it") }
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: output)) != nil || URL(fileURLWithPath: output).standardizedFileURL.path == URL(fileURLWithPath: opened.path).standardizedFileURL.path {
                throw CLIFailure("\(output): refusing to write over the input model")
            }
            let validation = PlanValidation.check(loaded, against: opened)
            for warning in validation.warnings { Console.printError("warning: \(warning)") }
            guard validation.isValid else { throw CLIFailure("\(plan): " + validation.errors.prefix(5).joined(separator: "\n  ")) }
            let outputs: [TensorOutput]
            do {
                outputs = try TensorOutput.plan(opened, plan: loaded, simulate: simulate, simulateAs: storage, forGGUF: !toSafetensors)
            } catch let error as WriterError { throw CLIFailure(error.description) }
            let cancellation = Cancellation()
            let interrupt = InterruptHandler { cancellation.cancel() }
            defer { interrupt.restore() }
            let bar = ProgressBar(label: "writing")
            do {
                if toSafetensors {
                    try SafetensorsWriter.write(opened, outputs: outputs, metadata: ["quantscope.plan": PlanFile.encode(loaded), "format": "pt"], to: output,
                                                cancellation: cancellation) { bar.update(done: $0, total: $1) }
                } else {
                    try GGUFWriter.write(opened, outputs: outputs, to: output, cancellation: cancellation) { bar.update(done: $0, total: $1) }
                }
            } catch is CancelledError {
                bar.finish()
                throw CLIFailure("\(output): interrupted; nothing was written")
            } catch let error as WriterError {
                bar.finish()
                throw CLIFailure(error.description)
            } catch let error as QuantizationError {
                bar.finish()
                throw CLIFailure(error.description)
            }
            bar.finish()
            let bytes = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
            print("wrote \(output): \(outputs.count) tensors, \(NumberFormat.bytes(bytes))")
        }
    }
}

/// Turns Ctrl-C and SIGTERM into a cancellation while a long write runs; the work then stops and removes its
/// temporary file. A second signal exits at once (still removing temporary outputs).
final class InterruptHandler {
    nonisolated(unsafe) static var onInterrupt: (() -> Void)?
    nonisolated(unsafe) static var interrupted = false

    init(_ action: @escaping () -> Void) {
        Self.onInterrupt = action
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { _ in
                if InterruptHandler.interrupted {
                    OutputFile.removeTemporaryFiles()
                    _exit(130)
                }
                InterruptHandler.interrupted = true
                InterruptHandler.onInterrupt?()
            }
        }
    }

    func restore() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        Self.onInterrupt = nil
    }
}
