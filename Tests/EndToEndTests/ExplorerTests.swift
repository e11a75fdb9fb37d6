import Foundation
import QuantCore
import XCTest

/// Drives the real explorer inside tmux, which provides the terminal, and asserts on the screen and the saved plan.
final class ExplorerTests: XCTestCase {
    /// A private tmux server with one 120×40 session running the app through a wrapper that reports its exit.
    final class Tmux {
        let socket = "quantscope-e2e-\(getpid())-\(UUID().uuidString.prefix(8))"
        let folder: URL
        let tmux: String

        init(tmux: String, folder: URL) {
            self.tmux = tmux
            self.folder = folder
        }

        static func find() -> String? {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            return path.split(separator: ":").map { "\($0)/tmux" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }

        /// Runs tmux and returns its output. posix_spawn and waitpid rather than Process: the tmux server
        /// that `new-session` forks inherits Process's exit-monitoring descriptor and output pipe, which
        /// would then never signal that the client has ended.
        @discardableResult
        func run(_ arguments: [String]) throws -> String {
            let output = folder.appendingPathComponent("tmux-\(UUID().uuidString).out").path
            defer { try? FileManager.default.removeItem(atPath: output) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
            let argv: [UnsafeMutablePointer<CChar>?] = ([tmux, "-L", socket] + arguments).map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            var pid = pid_t()
            let spawned = posix_spawn(&pid, tmux, &actions, nil, argv, environ)
            guard spawned == 0 else { throw NSError(domain: NSPOSIXErrorDomain, code: Int(spawned)) }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        }

        /// Starts the app with `arguments` in `folder`; its pid goes to `app.pid`, and `QS-EXITED <status>` is printed when it ends.
        func start(_ arguments: [String]) throws {
            let quoted = ([Binary.url.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
            let script = """
            export LANG=C.UTF-8 LC_ALL=C.UTF-8
            unset NO_COLOR
            sh -c 'echo $$ > app.pid; exec "$@"' app \(quoted)
            echo "QS-EXITED $?"
            exec sleep 600
            """
            try script.write(to: folder.appendingPathComponent("run.sh"), atomically: true, encoding: .utf8)
            try run(["-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "40", "-s", "main", "-c", folder.path, "sh run.sh"])
        }

        func screen() -> String { (try? run(["capture-pane", "-p", "-t", "main"])) ?? "" }

        func format(_ text: String) throws -> String {
            try run(["display-message", "-p", "-t", "main", text]).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func send(_ keys: String...) throws { try run(["send-keys", "-t", "main"] + keys) }

        func type(_ text: String) throws { try run(["send-keys", "-t", "main", "-l", text]) }

        /// Polls the pane until `predicate` holds or `timeout` passes; fails with the pane's contents.
        @discardableResult
        func wait(for description: String, timeout: TimeInterval = 20, file: StaticString = #filePath, line: UInt = #line, _ predicate: (String) -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            var last = ""
            while Date() < deadline {
                last = screen()
                if predicate(last) { return true }
                Thread.sleep(forTimeInterval: 0.1)
            }
            XCTFail("timed out waiting for \(description); the pane shows:\n\(last)", file: file, line: line)
            return false
        }

        func wait(for text: String, timeout: TimeInterval = 20, file: StaticString = #filePath, line: UInt = #line) {
            wait(for: "\"\(text)\"", timeout: timeout, file: file, line: line) { $0.contains(text) }
        }

        /// The pane's line that contains `text`.
        func line(containing text: String) -> String? {
            screen().split(separator: "\n").map(String.init).first { $0.contains(text) }
        }

        func stop() { _ = try? run(["kill-server"]) }
    }

    var tmux: Tmux!
    var folder: URL!

    override func setUpWithError() throws {
        guard let path = Tmux.find() else { throw XCTSkip("tmux is not installed; the explorer's end-to-end tests need it") }
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("quantscope-explorer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        tmux = Tmux(tmux: path, folder: folder)
    }

    override func tearDown() {
        tmux?.stop()
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    func testEditSaveAndQuitWritesThePlan() throws {
        let planPath = folder.appendingPathComponent("mlp.plan.json").path
        try tmux.start([Binary.sample("digits-mlp.safetensors"), "--plan", planPath])
        tmux.wait(for: "stats 6/6, eval 3/3")
        XCTAssertNotNil(tmux.line(containing: "new plan (default int8-channel"), tmux.screen())
        // Rows: fc1 group, fc1.weight, fc1.bias, fc2 group, fc2.weight, …
        try tmux.send("j")
        tmux.wait(for: "─ fc1.weight ─")
        try tmux.send("[")
        tmux.wait(for: "fc1.weight: int8-channel → int7-channel")
        XCTAssertTrue(tmux.line(containing: "[256,64]")?.contains("int7-channel") ?? false, tmux.screen())
        // The size changes at once, the error follows.
        tmux.wait(for: "the new SQNR of fc1.weight") { screen in
            guard let row = screen.split(separator: "\n").first(where: { $0.contains("[256,64]") }) else { return false }
            return row.contains(" dB") && !row.contains("~")
        }
        try tmux.send("p")
        tmux.wait(for: "rule PATTERN [SPEC]:")
        try tmux.type("fc3.* q8_0")
        try tmux.send("Enter")
        tmux.wait(for: "fc3.bias: q8_0 cannot apply")
        try tmux.send("C-u")
        try tmux.type("fc3.weight q4_0")
        try tmux.send("Enter")
        tmux.wait(for: "rule 1: fc3.weight → q4_0 (1 layer)")
        XCTAssertTrue(tmux.line(containing: "[10,128]")?.contains("q4_0") ?? false, tmux.screen())
        try tmux.send("j", "j", "j")
        tmux.wait(for: "─ fc2.weight ─")
        try tmux.send("]")
        tmux.wait(for: "fc2.weight: int8-channel → f16")
        try tmux.send("u")
        tmux.wait(for: "undone: fc2.weight: int8-channel → f16")
        XCTAssertTrue(tmux.line(containing: "[128,256]")?.contains("int8-channel") ?? false, tmux.screen())
        XCTAssertTrue(tmux.screen().contains("unsaved"))
        try tmux.send("s")
        tmux.wait(for: "saved \(planPath)")
        XCTAssertFalse(tmux.screen().contains("unsaved"), tmux.screen())

        // Another change, then q asks; y quits without saving it.
        try tmux.send("]")
        tmux.wait(for: "fc2.weight: int8-channel → f16")
        try tmux.send("q")
        tmux.wait(for: "Quit without saving?")
        try tmux.send("y")
        tmux.wait(for: "QS-EXITED 0")
        XCTAssertEqual(try tmux.format("#{alternate_on} #{cursor_flag}"), "0 1")

        let plan = try PlanFile.read(path: planPath)
        XCTAssertEqual(plan.defaultSpec, try QuantSpec(parsing: "int8-channel"))
        XCTAssertEqual(plan.overrides, ["fc1.weight": try QuantSpec(parsing: "int7-channel")])
        XCTAssertEqual(plan.rules, [Plan.Rule(pattern: try TensorPattern("fc3.weight"), spec: try QuantSpec(parsing: "q4_0"))])
        XCTAssertEqual(plan.model?.fileName, "digits-mlp.safetensors")
        let text = try String(contentsOfFile: planPath, encoding: .utf8)
        XCTAssertTrue(text.contains("\"totals\""), text)

        // Opening again loads the plan.
        tmux.stop()
        tmux = Tmux(tmux: tmux.tmux, folder: folder)
        try tmux.start([Binary.sample("digits-mlp.safetensors"), "--plan", planPath])
        tmux.wait(for: "loaded plan \(planPath)")
        XCTAssertTrue(tmux.line(containing: "[10,128]")?.contains("q4_0") ?? false, tmux.screen())
        try tmux.send("q")
        tmux.wait(for: "QS-EXITED 0")
    }

    func testSigtermRestoresTheTerminal() throws {
        try tmux.start([Binary.sample("minilm-l6-slice-f16.gguf")])
        tmux.wait(for: "minilm-l6-slice-f16.gguf │ 37 layers")
        XCTAssertEqual(try tmux.format("#{alternate_on} #{cursor_flag}"), "1 0")
        let pidText = try String(contentsOf: folder.appendingPathComponent("app.pid"), encoding: .utf8)
        let pid = try XCTUnwrap(pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertEqual(kill(pid, SIGTERM), 0)
        tmux.wait(for: "QS-EXITED 143")
        XCTAssertEqual(try tmux.format("#{alternate_on} #{cursor_flag}"), "0 1", tmux.screen())
    }

    func testResizeAndTooSmall() throws {
        try tmux.start([Binary.sample("digits-mlp.safetensors")])
        tmux.wait(for: "stats 6/6")
        try tmux.run(["resize-window", "-t", "main", "-x", "70", "-y", "20"])
        tmux.wait(for: "terminal too small: 70×20")
        try tmux.run(["resize-window", "-t", "main", "-x", "80", "-y", "24"])
        tmux.wait(for: "stats 6/6")
        try tmux.send("q")
        tmux.wait(for: "QS-EXITED 0")
        // Without --plan the plan goes beside the current folder's other files: MODEL-STEM.plan.json.
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("digits-mlp.plan.json").path))
    }

    func testRefusesWithoutATerminalAndReportsBadModelsBeforeCurses() throws {
        let noTerminal = try Binary.run([Binary.sample("digits-mlp.safetensors")])
        XCTAssertEqual(noTerminal.status, 1)
        XCTAssertEqual(noTerminal.stderr, "quantscope: the explorer needs a terminal; try `quantscope inspect`\n")
        XCTAssertEqual(noTerminal.stdout, "")
        let missing = try Binary.run(["/nonexistent/model.gguf"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.hasPrefix("quantscope: /nonexistent/model.gguf:"), missing.stderr)
        XCTAssertEqual(missing.stdout, "")
    }
}
