import Foundation
import QuantCore

/// Our GGUF block encoders against ggml's own reference quantisers, loaded at run time from a ggml build,
/// on one thread and the same input: speed of each, and whether the bytes are identical.
///
/// ggml is not part of quantscope: point `QUANTSCOPE_GGML_LIB` at a `libggml-base.so` built elsewhere.
/// Without it the benchmark says so and does nothing, so it never fails where ggml is absent.
/// `QUANTSCOPE_GGML_TYPES` (e.g. `Q3_K,Q6_K`) limits the run to some types; `QUANTSCOPE_GGML_ROWS` sets the rows of
/// the input (default 1024; 32 keeps it in cache, to see the arithmetic without the memory) and `QUANTSCOPE_GGML_RUNS`
/// the alternating runs (default 5). Each line ends with the rates and ratio of the fastest runs, which a busy shared
/// host disturbs less than the medians.
enum GGMLComparison {
    static let types: [GGMLType] = [.q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]
    static let shape = [setting("QUANTSCOPE_GGML_ROWS") ?? 1024, 11008]

    /// `void quantize_row_<type>_ref(const float * x, block_<type> * y, int64_t k)`
    typealias RowRef = @convention(c) (UnsafePointer<Float>, UnsafeMutableRawPointer, Int64) -> Void
    /// `size_t ggml_quantize_chunk(type, src, dst, start, nrows, n_per_row, imatrix)`, what `llama-quantize` calls.
    typealias QuantizeChunk = @convention(c) (Int32, UnsafePointer<Float>, UnsafeMutableRawPointer, Int64, Int64, Int64, UnsafePointer<Float>?) -> Int

    static func run() {
        guard let path = ProcessInfo.processInfo.environment["QUANTSCOPE_GGML_LIB"], !path.isEmpty else {
            Bench.line("ggml comparison skipped: set QUANTSCOPE_GGML_LIB to the path of a libggml-base.so from a ggml build outside this repository")
            return
        }
        guard let library = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            Bench.line("ggml comparison skipped: cannot load \(path): \(String(cString: dlerror()))")
            return
        }
        defer { dlclose(library) }
        let chunk = dlsym(library, "ggml_quantize_chunk").map { unsafeBitCast($0, to: QuantizeChunk.self) }

        let count = shape.reduce(1, *)
        let input = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { input.deallocate() }
        // Normal weights with a few outliers, as in QuantBenchmark.
        var rng = BenchRandom(seed: 7)
        for i in 0..<count {
            let u1 = Float.random(in: Float.leastNormalMagnitude..<1, using: &rng), u2 = Float.random(in: 0..<1, using: &rng)
            var v = 0.02 * (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Float.pi * u2)
            if rng.next() % 4096 == 0 { v *= 20 }
            input[i] = v
        }
        let source = UnsafePointer(input.baseAddress!)
        var sink: Float = 0
        let read = Double(count) / Bench.median { sink += ReadBaseline.sum(UnsafeRawBufferPointer(input), threads: 1) } / 1e6

        let runs = setting("QUANTSCOPE_GGML_RUNS") ?? 5
        Bench.line("ggml reference quantisers vs GGMLBlockCodec.encode, \(shape[0])×\(shape[1]) f32, 1 thread, median of \(runs) alternating runs; \(path)")
        Bench.line("  read baseline: \(Bench.f(read, 0)) M w/s" + (sink.isNaN ? " " : ""))
        Bench.line("  type    ggml M w/s  quantscope M w/s  ratio  blocks differing (_ref)  (quantize_chunk)  fastest: ggml, quantscope, ratio")
        let only = ProcessInfo.processInfo.environment["QUANTSCOPE_GGML_TYPES"].map {
            Set($0.uppercased().split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) })
        }
        for type in types where only.map({ $0.contains(type.name.uppercased()) }) ?? true {
            let name = "quantize_row_q\(type.name.dropFirst())_ref" // Q4_K -> quantize_row_q4_K_ref
            guard let symbol = dlsym(library, name) else {
                Bench.line("  \(type.name.padding(toLength: 6, withPad: " ", startingAt: 0))  \(name) not found")
                continue
            }
            let reference = unsafeBitCast(symbol, to: RowRef.self)
            let blocks = count / type.blockSize, bytes = blocks * type.blockBytes
            let theirs = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 64)
            let ours = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 64)
            defer { theirs.deallocate(); ours.deallocate() }
            let (ggmlTime, oursTime, ggmlBest, oursBest) = interleavedMedians(runs: runs,
                { reference(source, theirs.baseAddress!, Int64(count)) },
                { GGMLBlockCodec.encode(type, from: source, count: count, into: ours.baseAddress!) })
            var chunkDiffer = "-"
            if let chunk {
                let viaChunk = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 64)
                defer { viaChunk.deallocate() }
                _ = chunk(Int32(type.rawValue), source, viaChunk.baseAddress!, 0, Int64(shape[0]), Int64(shape[1]), nil)
                chunkDiffer = String(differingBlocks(UnsafeRawBufferPointer(ours), UnsafeRawBufferPointer(viaChunk), blockBytes: type.blockBytes))
            }
            let differ = differingBlocks(UnsafeRawBufferPointer(ours), UnsafeRawBufferPointer(theirs), blockBytes: type.blockBytes)
            let ggmlRate = Double(count) / ggmlTime / 1e6, oursRate = Double(count) / oursTime / 1e6
            Bench.line("  \(type.name.padding(toLength: 6, withPad: " ", startingAt: 0))  \(Bench.f(ggmlRate, 1).leftPad(10))  \(Bench.f(oursRate, 1).leftPad(16))  \(Bench.f(oursRate / ggmlRate).leftPad(5))  \("\(differ) of \(blocks)".leftPad(23))  \(chunkDiffer.leftPad(16))  \(Bench.f(Double(count) / ggmlBest / 1e6, 1).leftPad(15)) \(Bench.f(Double(count) / oursBest / 1e6, 1).leftPad(7)) \(Bench.f(ggmlBest / oursBest).leftPad(5))")
        }
    }

    /// Median and shortest wall times of `a` and `b`, timed alternately after one warm-up each, so that load from
    /// other processes on a shared machine falls on both sides alike.
    static func interleavedMedians(runs: Int = 5, _ a: () -> Void, _ b: () -> Void) -> (Double, Double, Double, Double) {
        a(); b()
        var times: ([Double], [Double]) = ([], [])
        for _ in 0..<runs {
            var start = Bench.now()
            a()
            times.0.append(Bench.now() - start)
            start = Bench.now()
            b()
            times.1.append(Bench.now() - start)
        }
        return (times.0.sorted()[runs / 2], times.1.sorted()[runs / 2], times.0.min()!, times.1.min()!)
    }

    /// A positive whole number from the environment.
    static func setting(_ name: String) -> Int? {
        ProcessInfo.processInfo.environment[name].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
    }

    /// How many `blockBytes`-sized blocks differ between two equally long outputs.
    static func differingBlocks(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, blockBytes: Int) -> Int {
        (0..<a.count / blockBytes).reduce(0) { n, i in
            n + (memcmp(a.baseAddress! + i * blockBytes, b.baseAddress! + i * blockBytes, blockBytes) == 0 ? 0 : 1)
        }
    }
}
