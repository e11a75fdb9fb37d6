/// A tensor's weights as f32, converted on the fly from the stored type in chunks.
///
/// Holds the tensor's raw bytes (inside a read-only mapping) and keeps their owner alive.
public struct WeightView: @unchecked Sendable {
    public let tensor: TensorInfo
    /// The stored bytes of the tensor.
    public let bytes: UnsafeRawBufferPointer
    private let owner: AnyObject

    init(tensor: TensorInfo, bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        self.tensor = tensor
        self.bytes = bytes
        self.owner = owner
    }

    public var count: Int { tensor.elementCount }

    /// The weights themselves when they are stored as aligned f32, so no conversion is needed.
    public var directFloats: UnsafeBufferPointer<Float>? {
        guard tensor.dtype == .f32, let base = bytes.baseAddress,
              Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 else { return nil }
        return UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: tensor.elementCount)
    }

    /// Converts `count` weights starting at element `start` into `destination`.
    /// For block types, `start` and `count` must be multiples of the block size.
    public func read(from start: Int, count: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(start >= 0 && count >= 0 && start + count <= tensor.elementCount, "read outside the tensor")
        let block = tensor.dtype.blockSize
        precondition(start % block == 0 && (count % block == 0 || start + count == tensor.elementCount), "read not aligned to blocks")
        guard count > 0, let base = bytes.baseAddress else { return }
        switch tensor.dtype {
        case let .ggml(type):
            let offset = start / type.blockSize * type.blockBytes
            GGMLBlockCodec.decode(type, from: base + offset, count: count, into: destination)
        default:
            ElementDecoder.decode(tensor.dtype, from: base + start * tensor.dtype.elementBytes, count: count, into: destination)
        }
    }

    /// The preferred chunk length: a multiple of the block size near 16 K weights (64 KB of f32, cache-resident).
    public var chunkLength: Int {
        let block = tensor.dtype.blockSize
        return max(block, 16_384 / block * block)
    }

    /// Calls `body` with consecutive f32 chunks covering `range` (block-aligned for block types) and the
    /// index of each chunk's first element. Aligned f32 data is passed without copying.
    public func forEachChunk(in range: Range<Int>, _ body: (UnsafeBufferPointer<Float>, Int) throws -> Void) rethrows {
        if let direct = directFloats {
            var start = range.lowerBound
            while start < range.upperBound {
                let end = min(start + 65_536, range.upperBound)
                try body(UnsafeBufferPointer(rebasing: direct[start..<end]), start)
                start = end
            }
            return
        }
        let chunk = chunkLength
        try withUnsafeTemporaryAllocation(of: Float.self, capacity: chunk) { scratch in
            var start = range.lowerBound
            while start < range.upperBound {
                let n = min(chunk, range.upperBound - start)
                read(from: start, count: n, into: scratch.baseAddress!)
                try body(UnsafeBufferPointer(rebasing: scratch[0..<n]), start)
                start += n
            }
        }
    }

    /// Splits the tensor into about `parts` element ranges on block (and, where possible, row) boundaries,
    /// for work spread across cores.
    public func partition(into parts: Int) -> [Range<Int>] {
        let total = tensor.elementCount
        guard parts > 1, total > 0 else { return [0..<total] }
        let unit = max(tensor.dtype.blockSize, 1)
        let units = (total + unit - 1) / unit
        let per = (units + parts - 1) / parts
        var ranges: [Range<Int>] = []
        var start = 0
        while start < total {
            let end = min(total, start + per * unit)
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }

    /// All weights as an array; for tests and small tensors only.
    public func toArray() -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress, count > 0 { read(from: 0, count: count, into: base) }
            initialized = count
        }
    }
}
