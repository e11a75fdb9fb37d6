/// Produces the output bytes of a tensor in row-aligned chunks, so memory stays bounded by the chunk size.
enum TensorEncoding {
    /// Weights per chunk (rounded to whole rows).
    static let chunkTarget = 1 << 20

    /// Calls `sink` with consecutive pieces of `output`'s bytes.
    static func stream(_ output: TensorOutput, model: Model, threads: Int, cancellation: Cancellation?, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let tensor = output.tensor
        if output.source == .copy {
            let bytes = try model.rawBytes(of: tensor)
            var offset = 0
            while offset < bytes.count {
                if cancellation?.isCancelled == true { throw CancelledError() }
                let n = min(bytes.count - offset, 16 << 20)
                try sink(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n]))
                offset += n
            }
            return
        }
        let view = try model.weights(of: tensor)
        let outType = output.outputType
        let simulator: (any TensorEncoder)?
        if case let .simulated(spec, _) = output.source {
            simulator = try Quantizer.make(spec, for: view, stats: nil)
        } else {
            simulator = nil
        }
        // Chunks hold whole rows and whole units of the simulated scheme (a channel may span several rows).
        let unit = min(max(1, tensor.elementCount), Quantizer.lcm(max(1, tensor.rowLength), simulator?.unitLength ?? 1))
        let chunk = max(1, chunkTarget / unit) * unit
        let floats = UnsafeMutableBufferPointer<Float>.allocate(capacity: chunk)
        let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: chunk)
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk / outType.blockSize * outType.blockBytes + 64, alignment: 64)
        defer { floats.deallocate(); scratch.deallocate(); bytes.deallocate() }
        var start = 0
        while start < tensor.elementCount {
            if cancellation?.isCancelled == true { throw CancelledError() }
            let n = min(chunk, tensor.elementCount - start)
            view.read(from: start, count: n, into: floats.baseAddress!)
            var values = UnsafePointer(floats.baseAddress!)
            if let simulator {
                // Whole units of the simulated scheme lie inside whole rows, so a chunk of rows is self-contained
                // except for per-tensor scales, which the quantiser already fixed from the whole tensor.
                simulator.fakeQuantize(values, count: n, start: start, into: scratch.baseAddress!)
                values = UnsafePointer(scratch.baseAddress!)
            }
            let outBytes = n / outType.blockSize * outType.blockBytes
            let parts = n >= 1 << 16 ? threads : 1
            let blocks = n / outType.blockSize
            let perPart = (blocks + parts - 1) / parts
            let input = UnsafeSendable(value: (values, bytes.baseAddress!))
            _ = Parallel.map(parts, threads: parts) { p in
                let first = p * perPart, last = min(blocks, first + perPart)
                guard first < last else { return }
                let source = input.value.0 + first * outType.blockSize
                let destination = input.value.1 + first * outType.blockBytes
                encode(outType, from: source, count: (last - first) * outType.blockSize, into: destination)
            }
            try sink(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[0..<outBytes]))
            start += n
        }
    }

    static func encode(_ type: GGMLType, from source: UnsafePointer<Float>, count: Int, into destination: UnsafeMutableRawPointer) {
        switch type {
        case .f32:
            destination.copyMemory(from: source, byteCount: count * 4)
        case .f16:
            for i in 0..<count { destination.storeBytes(of: Half.fromFloat(source[i]).littleEndian, toByteOffset: i * 2, as: UInt16.self) }
        case .bf16:
            for i in 0..<count { destination.storeBytes(of: BFloat16.fromFloat(source[i]).littleEndian, toByteOffset: i * 2, as: UInt16.self) }
        default:
            GGMLBlockCodec.encode(type, from: source, count: count, into: destination)
        }
    }
}

extension Model {
    /// The stored bytes of a tensor, exactly as in the file (inflating a deflated archive member if needed).
    func rawBytes(of tensor: TensorInfo) throws -> UnsafeRawBufferPointer {
        switch tensor.location {
        case let .mapped(fileIndex, offset):
            return try files[fileIndex].slice(offset: offset, count: tensor.byteCount)
        case let .deflated(memberIndex):
            return try inflater!.bytes(member: memberIndex, tensorBytes: tensor.byteCount).0
        }
    }
}
