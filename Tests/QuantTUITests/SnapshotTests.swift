import Foundation
import Testing
@testable import QuantCore
@testable import QuantTUI

/// Whole screens rendered from real sample models, compared with the text files in Snapshots/.
/// Re-record them with `QUANTSCOPE_RECORD_SNAPSHOTS=1 swift test --filter SnapshotTests`, then review the diff.
@Suite(.timeLimit(.minutes(5))) struct SnapshotTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    static let recording = ProcessInfo.processInfo.environment["QUANTSCOPE_RECORD_SNAPSHOTS"] != nil

    func assertSnapshot(_ canvas: Canvas, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = Self.folder.appendingPathComponent(name + ".txt")
        let actual = canvas.text
        if Self.recording {
            try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("missing snapshot \(name).txt; record it with QUANTSCOPE_RECORD_SNAPSHOTS=1\n\(actual)", sourceLocation: sourceLocation)
            return
        }
        if actual != expected {
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false), e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(a, e).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, e.count)
            Issue.record("snapshot \(name) differs from line \(first + 1):\n--- expected\n\(expected)--- actual\n\(actual)", sourceLocation: sourceLocation)
        }
    }

    /// The sample opened in the explorer with every background job done.
    func settled(_ sample: String, width: Int, height: Int, keys: [Key] = [], candidates: Bool = true, ascii: Bool = false) throws -> AppState {
        let model = try Fixtures.sample(sample)
        var state = AppState(model: ModelSummary(model), plan: Plan(defaultSpec: Fixtures.int8Channel), planPath: sample.split(separator: ".").first.map { "\($0).plan.json" } ?? "model.plan.json",
                             width: width, height: height, ascii: ascii)
        var effects = update(&state, .resize(width: width, height: height))
        for key in keys {
            Explorer.settle(&state, model: model, effects: effects, candidates: candidates)
            effects = update(&state, .key(key))
        }
        Explorer.settle(&state, model: model, effects: effects, candidates: candidates)
        return state
    }

    @Test func digitsAt80x24() throws {
        let state = try settled("digits-mlp.safetensors", width: 80, height: 24)
        try assertSnapshot(Screen.render(state), named: "digits-80x24")
    }

    @Test func digitsAt120x40() throws {
        let state = try settled("digits-mlp.safetensors", width: 120, height: 40)
        try assertSnapshot(Screen.render(state), named: "digits-120x40")
    }

    @Test func editedPlanWithMarksAt120x40() throws {
        let state = try settled("digits-mlp.safetensors", width: 120, height: 40,
                                keys: [.down, .char("["), .char("["), .char("["), .char("["), .down, .down, .down, .char(" "), .down, .down, .char(" "), .char("c"), .char("z"), .char("L")])
        try assertSnapshot(Screen.render(state), named: "digits-edited-120x40")
    }

    @Test func detailFocusAndMenuAt80x24() throws {
        var state = try settled("digits-mlp.safetensors", width: 80, height: 24, keys: [.down, .tab, .tab])
        try assertSnapshot(Screen.render(state), named: "digits-candidates-80x24")
        _ = update(&state, .key(.tab))
        _ = update(&state, .key(.char("m")))
        try assertSnapshot(Screen.render(state), named: "digits-menu-80x24")
    }

    @Test func dequantisedAndErrorHistograms() throws {
        var state = try settled("digits-mlp.safetensors", width: 80, height: 24, keys: [.down, .down, .down, .down, .char("["), .char("["), .char("["), .char("["), .char("d")])
        try assertSnapshot(Screen.render(state), named: "digits-dequantised-80x24")
        _ = update(&state, .key(.char("r")))
        try assertSnapshot(Screen.render(state), named: "digits-error-80x24")
    }

    @Test func ggufBlocksAt120x40() throws {
        let state = try settled("minilm-l6-slice-f16.gguf", width: 120, height: 40, keys: [.char("j")], candidates: false)
        try assertSnapshot(Screen.render(state), named: "minilm-120x40")
    }

    @Test func helpAt120x40() throws {
        var state = Fixtures.state()
        _ = update(&state, .key(.char("?")))
        try assertSnapshot(Screen.render(state), named: "help-120x40")
    }

    @Test func asciiFallbackAndPromptAt80x24() throws {
        var state = try settled("digits-mlp.safetensors", width: 80, height: 24, ascii: true)
        _ = update(&state, .key(.char("p")))
        for c in "fc*.weight q4_0" { _ = update(&state, .key(.char(c))) }
        let canvas = Screen.render(state)
        try assertSnapshot(canvas, named: "digits-ascii-80x24")
        let ascii = canvas.text.unicodeScalars.allSatisfy { $0.isASCII }
        #expect(ascii)
    }

    @Test func tooSmall() throws {
        let state = Fixtures.state(width: 79, height: 24)
        try assertSnapshot(Screen.render(state), named: "too-small-79x24")
    }
}
