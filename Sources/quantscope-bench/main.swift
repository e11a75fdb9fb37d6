import Foundation
import QuantCore

// Benchmarks for quantscope; run with `swift run -c release quantscope-bench [open|stats|tui|quant|ggml|SPEC…]`.
// Every figure is reported against a baseline measured in the same run on the same machine.

let which = Set(CommandLine.arguments.dropFirst())
let all = which.isEmpty
Bench.line("quantscope-bench: \(Parallel.coreCount) cores, \(KernelSet.current.rawValue) kernels (QUANTSCOPE_KERNELS=portable to compare)")
do {
    // Open first, so peak RSS is not inflated by the other benchmarks' buffers.
    if all || which.contains("open") { try OpenBenchmark.run() }
    if all || which.contains("stats") { try StatsBenchmark.run() }
    if all || which.contains("tui") { try TUIBenchmark.run() }
    if all || which.contains("ggml") { GGMLComparison.run() }
    let specFilter = Set(which.filter { $0 != "open" && $0 != "stats" && $0 != "quant" && $0 != "tui" && $0 != "ggml" })
    if all || which.contains("quant") || !specFilter.isEmpty { try QuantBenchmark.run(filter: specFilter) }
} catch {
    FileHandle.standardError.write(Data("quantscope-bench: \(error)\n".utf8))
    exit(1)
}
