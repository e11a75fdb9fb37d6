import ArgumentParser
import Foundation
import QuantCore

/// A failure the CLI reports as `quantscope: message` with exit status 1.
struct CLIFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Runs a command body, turning model and CLI errors into one clear line on stderr and a non-zero exit.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ModelError {
        Console.printError(error.description)
        throw ExitCode(1)
    } catch let error as CLIFailure {
        Console.printError(error.description)
        throw ExitCode(1)
    }
}

/// Small helpers for plain terminal output.
enum Console {
    static var stderrIsTerminal: Bool { isatty(2) == 1 }
    static var stdoutIsTerminal: Bool { isatty(1) == 1 }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("quantscope: \(message)\n".utf8))
    }
}

/// A one-line progress bar on stderr, drawn only when stderr is a terminal and at most ten times a second.
final class ProgressBar {
    private let label: String
    private let enabled: Bool
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(label: String) {
        self.label = label
        enabled = Console.stderrIsTerminal && ProcessInfo.processInfo.environment["CI"] == nil
    }

    func update(done: Int, total: Int) {
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
        lastDraw = Date()
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) \(bar) \(Int(fraction * 100))% \(NumberFormat.bytes(done))/\(NumberFormat.bytes(total))\u{1B}[K".utf8))
        drawn = true
    }

    func finish() {
        guard drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
