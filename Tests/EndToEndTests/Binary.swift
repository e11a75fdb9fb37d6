import Foundation
import XCTest

/// Runs the built `quantscope` executable, as a user would.
enum Binary {
    /// The executable beside the test bundle (`swift test` builds both into the same products folder).
    static var url: URL {
        if let override = ProcessInfo.processInfo.environment["QUANTSCOPE_BIN"] { return URL(fileURLWithPath: override) }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if folder.path.hasSuffix(".xctest/Contents/MacOS") { folder = folder.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }
        return folder.appendingPathComponent("quantscope")
    }

    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func sample(_ name: String) -> String { checkout.appendingPathComponent("SampleModels/\(name)").path }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the binary with `arguments` in `directory` and waits for it.
    static func run(_ arguments: [String], in directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes before waiting so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// python3 with the gguf package and numpy (.ci/run installs them), or nil.
    static func pythonWithGGUF() -> String? {
        for candidate in ["/usr/bin/env"] {
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: candidate)
            probe.arguments = ["python3", "-c", "import gguf, numpy, sys; print(sys.executable)"]
            let pipe = Pipe()
            probe.standardOutput = pipe
            probe.standardError = FileHandle.nullDevice
            guard (try? probe.run()) != nil else { continue }
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            probe.waitUntilExit()
            if probe.terminationStatus == 0 { return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        return nil
    }

    /// Runs Tests/EndToEndTests/Scripts/`name` with `python`; its exit status and standard output.
    static func runScript(_ name: String, _ arguments: [String], python: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [checkout.appendingPathComponent("Tests/EndToEndTests/Scripts/\(name)").path] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
