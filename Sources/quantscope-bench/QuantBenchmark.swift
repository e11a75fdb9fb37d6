import Foundation
import QuantCore

/// Quantise + dequantise + error throughput for each spec family on a 4096×11008 f32 tensor, against a
/// vectorised read of the same memory in the same run; and the latency the TUI sees on the largest sample tensor.
enum QuantBenchmark {
    static let specs = ["int8", "int8-channel", "int4-g128", "int4-asym-g64", "int4-g32-f16scale", "int3-g32-mse", "nf4", "fp8-e4m3", "fp8-e5m2-channel",
                        "mxfp4", "nvfp4", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k"]

    static func run(filter: Set<String>) throws {
        let folder = Bench.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let shape = [4096, 11008]
        let count = shape.reduce(1, *)
        var rng = BenchRandom(seed: 7)
        let path = folder.appendingPathComponent("w.safetensors").path
        // Normal weights with a few outliers, like a transformer's projections.
        try Bench.writeSafetensors(path: path, name: "w", dtype: "F32", shape: shape, bytesPerElement: 4) { _, out in
            for i in 0..<out.count / 4 {
                let u1 = Float.random(in: Float.leastNormalMagnitude..<1, using: &rng), u2 = Float.random(in: 0..<1, using: &rng)
                var v = 0.02 * (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Float.pi * u2)
                if rng.next() % 4096 == 0 { v *= 20 }
                out.storeBytes(of: v, toByteOffset: i * 4, as: Float.self)
            }
        }
        let model = try Model.open(path: path)
        let view = try model.weights(of: model.tensors[0])
        let stats = StatsComputer.compute(view)
        Bench.line("quantise + dequantise + error, \(shape[0])×\(shape[1]) f32 = \(count / 1_000_000) M weights; read = vectorised sum over the same bytes")
        Bench.line("  spec                threads    G w/s   read G w/s   ratio   SQNR dB  bits/w   (medians of paired runs)")
        for text in specs where filter.isEmpty || filter.contains(text) {
            let spec = try QuantSpec(parsing: text)
            for threads in [1, Parallel.coreCount] {
                var sink: Float = 0
                var result: QuantResult?
                do {
                    result = try Quantizer.evaluate(view, spec: spec, stats: stats, threads: threads)
                } catch {
                    Bench.line("  \(text.padding(toLength: 18, withPad: " ", startingAt: 0))  not available: \(error)")
                    break
                }
                // The host's speed drifts between seconds, so each timing of the spec is paired with a read of the
                // same memory just before it, and the ratio is the median of the pairs' ratios.
                let pairs = Bench.pairedMedians(baseline: { sink += ReadBaseline.sum(view.bytes, threads: threads) },
                                                measured: { result = try? Quantizer.evaluate(view, spec: spec, stats: stats, threads: threads) })
                let weightsPerSecond = Double(count) / pairs.measured / 1e9
                let readWeights = Double(count) / pairs.baseline / 1e9
                Bench.line("  \(text.padding(toLength: 18, withPad: " ", startingAt: 0))  \(String(threads).leftPad(7))  \(Bench.f(weightsPerSecond, 3).leftPad(7))  \(Bench.f(readWeights).leftPad(11))  \(Bench.f(pairs.ratio, 3).leftPad(6))  \(Bench.f(result!.error.sqnr).leftPad(8))  \(Bench.f(result!.bitsPerWeight, 3).leftPad(6))" + (sink.isNaN ? " " : ""))
            }
        }
        try sampleLatency()
    }

    /// What a key press in the explorer costs: evaluating the largest tensor of the bundled samples.
    static func sampleLatency() throws {
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let samples = ["digits-mlp-wide.safetensors", "minilm-l6-slice-f16.gguf"].map { checkout.appendingPathComponent("SampleModels/\($0)").path }
        var largest: (Model, TensorInfo)?
        for path in samples where FileManager.default.fileExists(atPath: path) {
            let model = try Model.open(path: path)
            if let tensor = model.tensors.max(by: { $0.elementCount < $1.elementCount }), tensor.elementCount > (largest?.1.elementCount ?? 0) {
                largest = (model, tensor)
            }
        }
        guard let (model, tensor) = largest else { return }
        let view = try model.weights(of: tensor)
        let stats = StatsComputer.compute(view)
        Bench.line("largest sample tensor \(tensor.name) \(tensor.shapeText) \(tensor.dtype.name): evaluation latency (median of 9, stats known)")
        for text in ["int8", "int8-channel", "int4-g128", "int4-asym-g64", "int3-g32-mse", "int2-asym-channel-p99.9", "nf4", "q4_0", "q8_0"] {
            let spec = try QuantSpec(parsing: text)
            guard (try? Quantizer.evaluate(view, spec: spec, stats: stats)) != nil else { continue }
            let time = Bench.median(runs: 9) { _ = try? Quantizer.evaluate(view, spec: spec, stats: stats) }
            Bench.line("  \(text.padding(toLength: 24, withPad: " ", startingAt: 0)) \(Bench.f(time * 1000, 2).leftPad(7)) ms")
        }
    }
}
