import ArgumentParser
import Foundation
import QuantCore

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a model's tensors, with statistics and histograms on request.",
        discussion: "Shapes are shown in PyTorch order (outermost dimension first), also for GGUF files, which store them innermost first."
    )

    @Argument(help: "A model file (.safetensors, .gguf, .npy, .npz), a safetensors index or a folder of shards. Default: the bundled sample.")
    var model: String?

    @Flag(help: "Print JSON (documented in docs/cli-json.md) instead of a table.")
    var json = false

    @Flag(help: "Compute per-tensor statistics (reads every weight).")
    var stats = false

    @Option(help: "Only tensors whose name matches this glob (`*` matches dots too), e.g. 'blk.*.attn_*'.")
    var filter: String?

    @Option(help: "Draw the weight distribution of this tensor.")
    var histogram: String?

    @Option(help: "Histogram bins.")
    var bins = 64

    @Flag(help: "Histogram counts on a log scale.")
    var log = false

    @Flag(help: "Show the model's metadata.")
    var metadata = false

    func validate() throws {
        guard (1...65_536).contains(bins) else { throw ValidationError("--bins must be between 1 and 65536") }
    }

    func run() throws {
        try reportingErrors {
            let path = try DefaultSample.resolve(model)
            let opened = try Model.open(path: path)
            let glob = filter.map(Glob.init)
            let tensors = opened.tensors.filter { glob?.matches($0.name) ?? true }
            if let name = histogram {
                try drawHistogram(of: name, in: opened)
                return
            }
            var statistics: [TensorStats?]? = nil
            if stats {
                let bar = ProgressBar(label: "statistics")
                statistics = try ModelStatistics.compute(opened, tensors: tensors, bins: bins) { bar.update(done: $0, total: $1) }
                bar.finish()
            }
            let report = InspectReport(model: opened, tensors: tensors, stats: statistics, showMetadata: metadata)
            print(json ? JSONWriter.write(report.json()) : report.text(), terminator: json ? "" : "\n")
        }
    }

    private func drawHistogram(of name: String, in model: Model) throws {
        guard let tensor = model.tensor(named: name) else {
            let close = model.tensors.filter { $0.name.contains(name) }.prefix(5).map(\.name)
            let hint = close.isEmpty ? "" : "; did you mean \(close.joined(separator: ", "))?"
            throw CLIFailure("\(model.path): no tensor named \(name.escapedForTerminal)\(hint)")
        }
        let stats = StatsComputer.compute(try model.weights(of: tensor), bins: bins)
        if json {
            print(JSONWriter.write(InspectReport.json(tensor: tensor, stats: stats, includeHistogram: true)), terminator: "")
            return
        }
        let width = min(bins, 100)
        let ascii = !(ProcessInfo.processInfo.environment["LANG"].map { $0.uppercased().contains("UTF") } ?? true)
        let plot = HistogramPlot(histogram: stats.histogram, width: width * max(1, 64 / bins), height: 12, logarithmic: log, ascii: ascii)
        print("\(tensor.name.escapedForTerminal)  \(tensor.dtype.name) \(tensor.shapeText)  \(NumberFormat.grouped(tensor.elementCount)) weights\(log ? "  (log counts)" : "")")
        print(plot.render().joined(separator: "\n"))
        print(InspectReport.statsLine(stats))
    }
}
