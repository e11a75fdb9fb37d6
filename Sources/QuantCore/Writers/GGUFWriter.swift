import Foundation

/// Writes a GGUF v3 file in which every tensor is stored as planned, streaming tensor by tensor.
///
/// From a GGUF source every metadata record is copied byte for byte, except `general.file_type` and
/// `general.quantization_version`, which are set for the new content; from other sources a minimal
/// `general.*` set is written. Tensor order, names and shapes are the source's.
public enum GGUFWriter {
    /// `llama_ftype` values llama.cpp records for a file's dominant type (informational for loaders).
    static func fileType(for type: GGMLType) -> UInt32 {
        switch type {
        case .f32: 0
        case .f16: 1
        case .q4_0: 2
        case .q4_1: 3
        case .q8_0: 7
        case .q5_0: 8
        case .q5_1: 9
        case .q2_K: 10
        case .q3_K: 12
        case .q4_K: 15
        case .q5_K: 17
        case .q6_K: 18
        case .iq4_nl: 25
        case .iq4_xs: 30
        case .bf16: 32
        default: 1
        }
    }

    public static func write(_ model: Model, outputs: [TensorOutput], to path: String, threads: Int = Parallel.coreCount,
                             cancellation: Cancellation? = nil, progress: ((Int, Int) -> Void)? = nil) throws {
        let file = try OutputFile(path: path)
        do {
            try writeContent(model, outputs: outputs, file: file, threads: threads, cancellation: cancellation, progress: progress)
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
    }

    static func writeContent(_ model: Model, outputs: [TensorOutput], file: OutputFile, threads: Int, cancellation: Cancellation?, progress: ((Int, Int) -> Void)?) throws {
        let rewritten: Set<String> = ["general.file_type", "general.quantization_version"]
        var records: [[UInt8]] = []
        var alignment = 32
        if case .gguf = model.format {
            let source = model.files[0]
            for entry in model.metadata where !rewritten.contains(entry.key) {
                guard let range = entry.recordRange else { continue }
                records.append(Array(try source.slice(offset: range.lowerBound, count: range.count)))
                if entry.key == "general.alignment", let value = entry.value.intValue { alignment = value }
            }
        } else {
            let stem = ((model.path as NSString).lastPathComponent as NSString).deletingPathExtension
            records.append(record(key: "general.name", string: stem))
            records.append(record(key: "general.source.quantscope", string: "converted from \(model.format) by quantscope apply"))
        }
        var weightByType: [GGMLType: Int] = [:]
        for output in outputs where output.tensor.shape.count >= 2 { weightByType[output.outputType, default: 0] += output.tensor.elementCount }
        let dominant = weightByType.max { $0.value < $1.value }?.key ?? .f32
        records.append(record(key: "general.quantization_version", u32: 2))
        records.append(record(key: "general.file_type", u32: fileType(for: dominant)))

        var header = ByteWriter()
        header.raw(Array("GGUF".utf8))
        header.u32(3)
        header.u64(UInt64(outputs.count))
        header.u64(UInt64(records.count))
        for r in records { header.raw(r) }
        var offset = 0
        for output in outputs {
            header.string(output.tensor.name)
            let dims = output.tensor.shape.isEmpty ? [1] : Array(output.tensor.shape.reversed())
            header.u32(UInt32(dims.count))
            for d in dims { header.u64(UInt64(d)) }
            header.u32(output.outputType.rawValue)
            header.u64(UInt64(offset))
            offset += (output.byteCount + alignment - 1) / alignment * alignment
        }
        try file.write(header.bytes)
        try file.pad(to: alignment)
        let total = outputs.reduce(0) { $0 + $1.byteCount }
        var done = 0
        for output in outputs {
            var written = 0
            try TensorEncoding.stream(output, model: model, threads: threads, cancellation: cancellation) { piece in
                try file.write(piece)
                written += piece.count
                progress?(done + written, total)
            }
            precondition(written == output.byteCount, "\(output.tensor.name): wrote \(written) bytes, expected \(output.byteCount)")
            done += written
            try file.pad(to: alignment)
        }
    }

    static func record(key: String, string value: String) -> [UInt8] {
        var w = ByteWriter()
        w.string(key); w.u32(8); w.string(value)
        return w.bytes
    }

    static func record(key: String, u32 value: UInt32) -> [UInt8] {
        var w = ByteWriter()
        w.string(key); w.u32(4); w.u32(value)
        return w.bytes
    }
}

/// Little-endian byte building for writers.
struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func raw(_ b: [UInt8]) { bytes += b }
    /// A GGUF string: u64 length, then UTF-8 bytes.
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
}
