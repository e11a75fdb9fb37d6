import Foundation

/// Finds the bundled sample model, so `quantscope` with no argument shows something real from any folder.
enum DefaultSample {
    static let fileName = "digits-mlp.safetensors"

    /// The sample's path: beside the executable (installed copies), else in the source checkout it was built from.
    static func path() -> String? {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            executable.appendingPathComponent("SampleModels/\(fileName)"),
            executable.appendingPathComponent("../share/quantscope/\(fileName)"),
            checkout.appendingPathComponent("SampleModels/\(fileName)"),
        ]
        return candidates.map(\.standardizedFileURL.path).first { FileManager.default.fileExists(atPath: $0) }
    }

    /// `given`, or the sample when nil; fails with a clear message when the sample is missing.
    static func resolve(_ given: String?) throws -> String {
        if let given { return given }
        guard let sample = path() else {
            throw CLIFailure("no MODEL given and the bundled sample \(fileName) was not found; pass a model path")
        }
        return sample
    }
}
