import Foundation
import QuantCore

/// Statistics + histogram throughput on a 4096×11008 tensor (the size of a 7B model's MLP projection),
/// stored as f32 and as bf16, against a vectorised read of the same bytes measured in the same run.
enum StatsBenchmark {
    static let shape = [4096, 11008]

    static func run() throws {
        let folder = Bench.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let count = shape.reduce(1, *)
        var rng = BenchRandom(seed: 42)
        // A Laplace-like weight distribution; values are generated once and reused for both files.
        let values = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { values.deallocate() }
        for i in 0..<count {
            let u = Float.random(in: 0..<1, using: &rng)
            values[i] = (u < 0.5 ? 1 : -1) * 0.02 * Foundation.log(2 * min(u, 1 - u) + Float.leastNormalMagnitude)
        }
        let f32Path = folder.appendingPathComponent("f32.safetensors").path
        let bf16Path = folder.appendingPathComponent("bf16.safetensors").path
        try Bench.writeSafetensors(path: f32Path, name: "w", dtype: "F32", shape: shape, bytesPerElement: 4) { start, out in
            out.copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(values)[start * 4..<start * 4 + out.count]))
        }
        try Bench.writeSafetensors(path: bf16Path, name: "w", dtype: "BF16", shape: shape, bytesPerElement: 2) { start, out in
            for i in 0..<out.count / 2 { out.storeBytes(of: UInt16(values[start + i].bitPattern >> 16), toByteOffset: i * 2, as: UInt16.self) }
        }
        Bench.line("statistics + 64-bin histogram, \(shape[0])×\(shape[1]) = \(count / 1_000_000) M weights (warm page cache)")
        Bench.line("  dtype  threads  stats G w/s  stats GB/s  read GB/s  ratio")
        for path in [f32Path, bf16Path] {
            let model = try Model.open(path: path)
            let tensor = model.tensors[0]
            let view = try model.weights(of: tensor)
            for threads in [1, Parallel.coreCount] {
                var sink: Float = 0
                var stats: TensorStats?
                let pairs = Bench.pairedMedians(baseline: { sink += ReadBaseline.sum(view.bytes, threads: threads) },
                                                measured: { stats = StatsComputer.compute(view, bins: 64, threads: threads) })
                let readGBs = Double(view.bytes.count) / pairs.baseline / 1e9
                let statsGBs = Double(view.bytes.count) / pairs.measured / 1e9
                Bench.line("  \(tensor.dtype.name.padding(toLength: 5, withPad: " ", startingAt: 0))  \(String(threads).leftPad(7))  \(Bench.f(Double(count) / pairs.measured / 1e9).leftPad(11))  \(Bench.f(statsGBs).leftPad(10))  \(Bench.f(readGBs).leftPad(9))  \(Bench.f(pairs.ratio).leftPad(5))" + (sink.isNaN || stats == nil ? " " : ""))
            }
        }
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
