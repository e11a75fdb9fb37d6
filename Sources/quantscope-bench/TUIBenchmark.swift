import Foundation
import QuantCore
import QuantTUI

/// The explorer's costs: rendering a full screen into the canvas for a 300-tensor model, a key press
/// (update + render) on the samples, and the time from a spec change to the new error on screen.
enum TUIBenchmark {
    static func run() throws {
        Bench.line("\n== TUI: render and key press ==")
        let folder = Bench.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("synthetic-300.safetensors").path
        let tensorCount = try writeSynthetic(path: path)
        let model = try Model.open(path: path)
        var state = AppState(model: ModelSummary(model), plan: Plan(defaultSpec: try QuantSpec(parsing: "int8-channel")), planPath: "bench.plan.json", width: 120, height: 40)
        let start = Bench.now()
        Explorer.settle(&state, model: model, effects: update(&state, .resize(width: 120, height: 40)), candidates: false, threads: Parallel.coreCount)
        Bench.line("synthetic model: \(tensorCount) tensors, \(NumberFormat.count(model.parameterCount)) weights; background statistics + evaluations: \(Bench.f((Bench.now() - start) * 1000, 1)) ms")

        for (width, height) in [(80, 24), (120, 40), (200, 60)] {
            _ = update(&state, .resize(width: width, height: height))
            var canvas = Canvas(width: width, height: height)
            let time = Bench.median(runs: 201) { canvas = Canvas(width: width, height: height); Screen.render(state, into: &canvas) }
            Bench.line("render full screen \(width)×\(height), 300 tensors: \(Bench.f(time * 1e3, 3)) ms median (target < 2 ms)")
        }
        _ = update(&state, .resize(width: 120, height: 40))
        keyPresses(&state, label: "synthetic 300 tensors")

        for sample in ["digits-mlp.safetensors", "minilm-l6-slice-f16.gguf", "digits-mlp-wide.safetensors"] {
            let samplePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("SampleModels/\(sample)").path
            guard FileManager.default.fileExists(atPath: samplePath) else { continue }
            let sampleModel = try Model.open(path: samplePath)
            var sampleState = AppState(model: ModelSummary(sampleModel), plan: Plan(defaultSpec: try QuantSpec(parsing: "int8-channel")), planPath: "bench.plan.json", width: 120, height: 40)
            Explorer.settle(&sampleState, model: sampleModel, effects: update(&sampleState, .resize(width: 120, height: 40)), candidates: false, threads: Parallel.coreCount)
            keyPresses(&sampleState, label: sample)
            specChange(sampleModel, sample: sample)
        }
    }

    /// Median of update + render for a mix of keys: moves, spec changes, undo.
    static func keyPresses(_ state: inout AppState, label: String) {
        let keys: [Key] = [.char("j"), .char("]"), .char("["), .char("u"), .char("k"), .char("G"), .char("g"), .char("c"), .char("u")]
        var times: [Double] = []
        var canvas = Canvas(width: state.width, height: state.height)
        for round in 0..<30 {
            for key in keys {
                let start = Bench.now()
                _ = update(&state, .key(key))
                canvas = Canvas(width: state.width, height: state.height)
                Screen.render(state, into: &canvas)
                if round > 0 { times.append(Bench.now() - start) }
            }
        }
        times.sort()
        Bench.line("key press (update + render 120×40), \(label): \(Bench.f(times[times.count / 2] * 1e3, 3)) ms median, \(Bench.f(times[times.count * 99 / 100] * 1e3, 3)) ms p99 (target < 16 ms)")
    }

    /// From a key that changes the largest tensor's integer spec to the screen showing its new error:
    /// update, the evaluation (with histograms, all cores), the result's update, render.
    static func specChange(_ model: Model, sample: String) {
        guard let largest = model.tensors.indices.max(by: { model.tensors[$0].elementCount < model.tensors[$1].elementCount }) else { return }
        let tensor = model.tensors[largest]
        var times: [Double] = []
        for bits in [7, 6, 5, 4, 3] {
            var plan = Plan(defaultSpec: try! QuantSpec(parsing: "int8-channel"))
            plan.overrides[tensor.name] = QuantSpec(.integer(.init(bits: bits + 1, granularity: .channel)))
            var state = AppState(model: ModelSummary(model), plan: plan, planPath: "bench.plan.json", width: 120, height: 40)
            Explorer.settle(&state, model: model, effects: update(&state, .resize(width: 120, height: 40)), candidates: false, threads: Parallel.coreCount)
            while state.selectedTensor != largest { _ = update(&state, .key(.char("j"))) }
            Explorer.settle(&state, model: model, candidates: false, threads: Parallel.coreCount)
            let start = Bench.now()
            let effects = update(&state, .key(.char("[")))
            Explorer.settle(&state, model: model, effects: effects, candidates: false, threads: Parallel.coreCount)
            _ = Screen.render(state)
            times.append(Bench.now() - start)
        }
        times.sort()
        Bench.line("spec change → new error on screen, \(sample) \(tensor.name) (\(NumberFormat.count(tensor.elementCount)) weights, int8→int3 per channel): \(Bench.f(times[times.count / 2] * 1e3, 2)) ms median (target < 50 ms)")
    }

    /// A safetensors file with 300 f32 tensors shaped like a small transformer: 30 blocks of 10.
    static func writeSynthetic(path: String) throws -> Int {
        var entries: [(String, [Int])] = []
        for block in 0..<30 {
            for (name, shape) in [("attn_q.weight", [256, 256]), ("attn_k.weight", [256, 256]), ("attn_v.weight", [256, 256]), ("attn_output.weight", [256, 256]),
                                  ("ffn_up.weight", [1024, 256]), ("ffn_down.weight", [256, 1024]), ("attn_norm.weight", [256]), ("ffn_norm.weight", [256]),
                                  ("attn_q.bias", [256]), ("ffn_up.bias", [1024])] {
                entries.append(("blk.\(block).\(name)", shape))
            }
        }
        var header = "{"
        var offset = 0
        for (i, (name, shape)) in entries.enumerated() {
            let bytes = shape.reduce(1, *) * 4
            header += (i > 0 ? "," : "") + "\"\(name)\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[\(offset),\(offset + bytes)]}"
            offset += bytes
        }
        header += "}"
        while (8 + header.utf8.count) % 8 != 0 { header += " " }
        var data = Data()
        var length = UInt64(header.utf8.count).littleEndian
        data.append(Data(bytes: &length, count: 8))
        data.append(Data(header.utf8))
        var random = BenchRandom(seed: 42)
        var floats = [Float](repeating: 0, count: offset / 4)
        for i in floats.indices {
            // A roughly normal weight from the sum of uniforms, with a rare outlier.
            var sum: Float = 0
            for _ in 0..<4 { sum += Float(random.next() >> 40) / Float(1 << 24) - 0.5 }
            floats[i] = random.next() % 4096 == 0 ? sum * 20 : sum * 0.05
        }
        floats.withUnsafeBytes { data.append(contentsOf: $0) }
        try data.write(to: URL(fileURLWithPath: path))
        return entries.count
    }
}
