/// Where a tensor's bytes are: a range of a mapped file, or a member of an archive that is inflated on first use.
public enum TensorLocation: Hashable, Sendable {
    /// `offset` is absolute within file `fileIndex` of the model.
    case mapped(fileIndex: Int, offset: Int)
    /// A deflated `.npz` member, inflated when its weights are first read.
    case deflated(memberIndex: Int)
}

/// One tensor of a model as its header describes it; no weights are read to make it.
public struct TensorInfo: Hashable, Sendable {
    public let name: String
    public let dtype: DType
    /// Dimensions in PyTorch order (outermost first): a Linear weight is `[out_features, in_features]`,
    /// also for GGUF files, which list dimensions innermost first.
    public let shape: [Int]
    public let elementCount: Int
    public let byteCount: Int
    public let location: TensorLocation

    public init(name: String, dtype: DType, shape: [Int], elementCount: Int, byteCount: Int, location: TensorLocation) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.elementCount = elementCount
        self.byteCount = byteCount
        self.location = location
    }

    /// The length of one row: the innermost dimension (1 for a scalar).
    public var rowLength: Int { shape.last ?? 1 }
    /// The number of rows: every dimension but the innermost, multiplied (output channels for a Linear weight).
    public var rowCount: Int { rowLength == 0 ? 0 : elementCount / rowLength }

    /// The absolute data offset for mapped tensors.
    public var dataOffset: Int? {
        if case let .mapped(_, offset) = location { return offset }
        return nil
    }

    /// Shape as people write it: `[4096, 11008]`.
    public var shapeText: String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

    /// The element count of `shape`, or nil if it overflows or a dimension is negative.
    public static func elementCount(of shape: [Int]) -> Int? {
        var count = 1
        for dim in shape {
            guard dim >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            if overflow { return nil }
            count = product
        }
        return count
    }
}
