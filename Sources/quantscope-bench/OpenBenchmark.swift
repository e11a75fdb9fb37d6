import Foundation
import QuantCore

/// Opening and listing a large model must not depend on its size: a sparse 4 GiB safetensors file
/// with 290 tensors is opened and listed; only its header should be read.
enum OpenBenchmark {
    static func run() throws {
        let folder = Bench.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("big.safetensors").path
        // 29 "layers" of ten 4096×(896…) bf16 tensors, about 4.1 GiB in all.
        var entries: [String] = []
        var offset = 0
        for layer in 0..<29 {
            for (name, rows, cols) in [("q_proj", 4096, 4096), ("k_proj", 4096, 4096), ("v_proj", 4096, 4096), ("o_proj", 4096, 4096),
                                       ("gate_proj", 11008, 4096), ("up_proj", 11008, 4096), ("down_proj", 4096, 11008),
                                       ("input_layernorm", 1, 4096), ("post_attention_layernorm", 1, 4096), ("rotary", 1, 64)] {
                let bytes = rows * cols * 2
                entries.append("\"model.layers.\(layer).\(name).weight\":{\"dtype\":\"BF16\",\"shape\":[\(rows),\(cols)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
                offset += bytes
            }
        }
        let header = "{" + entries.joined(separator: ",") + "}"
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        var length = UInt64(header.utf8.count).littleEndian
        _ = write(fd, &length, 8)
        _ = header.withCString { write(fd, $0, strlen($0)) }
        ftruncate(fd, off_t(8 + header.utf8.count + offset))
        close(fd)
        let rssBefore = Bench.peakRSS()
        var listed = 0
        let time = Bench.median(runs: 9) {
            let model = try! Model.open(path: path)
            listed = 0
            for tensor in model.tensors { listed += tensor.name.count + tensor.shapeText.count + tensor.dtype.name.count }
            listed = model.tensors.count
        }
        Bench.line("open + list a \(NumberFormat.bytes(8 + header.utf8.count + offset)) safetensors file (\(listed) tensors, sparse: only the header exists on disk)")
        Bench.line("  median time \(Bench.f(time * 1000, 3)) ms   peak RSS \(NumberFormat.bytes(Bench.peakRSS()))   (before opening: \(NumberFormat.bytes(rssBefore)))")
    }
}
