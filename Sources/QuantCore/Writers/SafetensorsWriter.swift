import Foundation

/// Writes a safetensors file of (usually dequantised) weights, streaming tensor by tensor.
public enum SafetensorsWriter {
    public static func write(_ model: Model, outputs: [TensorOutput], metadata: [String: String], to path: String, threads: Int = Parallel.coreCount,
                             cancellation: Cancellation? = nil, progress: ((Int, Int) -> Void)? = nil) throws {
        var entries: [(key: String, value: JSONValue)] = [("__metadata__", .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))]
        var offset = 0
        for output in outputs {
            let dtype: String
            switch output.outputType {
            case .f32: dtype = "F32"
            case .f16: dtype = "F16"
            case .bf16: dtype = "BF16"
            default: throw WriterError(path: path, problem: "\(output.tensor.name.escapedForTerminal): \(output.outputType.name) cannot be stored in safetensors")
            }
            entries.append((output.tensor.name, .object([
                ("dtype", .string(dtype)), ("shape", .array(output.tensor.shape.map { .int($0) })),
                ("data_offsets", .array([.int(offset), .int(offset + output.byteCount)])),
            ])))
            offset += output.byteCount
        }
        var header = JSONWriter.write(.object(entries), pretty: false)
        while (8 + header.utf8.count) % 8 != 0 { header += " " }
        let file = try OutputFile(path: path)
        do {
            var length = ByteWriter()
            length.u64(UInt64(header.utf8.count))
            try file.write(length.bytes + Array(header.utf8))
            var done = 0
            for output in outputs {
                try TensorEncoding.stream(output, model: model, threads: threads, cancellation: cancellation) { piece in
                    try file.write(piece)
                    done += piece.count
                    progress?(done, offset)
                }
            }
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
    }
}
