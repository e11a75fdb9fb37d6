import Foundation

/// A model as its header describes it: tensors in file order and metadata. Opening one reads only
/// headers; weights are reached through `weights(of:)` from read-only mappings, page by page.
public struct Model: Sendable {
    /// The path the model was opened from, as the user gave it.
    public let path: String
    public let format: ModelFormat
    public let tensors: [TensorInfo]
    public let metadata: [MetadataEntry]
    /// The mapped files; `TensorLocation.mapped(fileIndex:)` indexes into this.
    let files: [MappedFile]
    /// Inflates deflated archive members on demand (`.npz`).
    let inflater: DeflatedMembers?

    init(path: String, format: ModelFormat, tensors: [TensorInfo], metadata: [MetadataEntry], files: [MappedFile], inflater: DeflatedMembers? = nil) {
        self.path = path
        self.format = format
        self.tensors = tensors
        self.metadata = metadata
        self.files = files
        self.inflater = inflater
    }

    /// Opens a model file (or a folder/index of safetensors shards), detecting the format from its content.
    public static func open(path: String) throws -> Model {
        try ModelLoader.open(path: path)
    }

    /// The total number of parameters (elements) over all tensors.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }
    /// The total stored bytes of all tensors.
    public var tensorBytes: Int { tensors.reduce(0) { $0 + $1.byteCount } }

    /// The tensor with this exact name.
    public func tensor(named name: String) -> TensorInfo? { tensors.first { $0.name == name } }

    /// The file that holds a tensor's bytes (a shard for sharded models).
    public func filePath(of tensor: TensorInfo) -> String {
        if case let .mapped(index, _) = tensor.location { return files[index].path }
        return path
    }

    /// A view of the tensor's weights as f32. Fails for types quantscope cannot decode,
    /// or for a damaged archive member.
    public func weights(of tensor: TensorInfo) throws -> WeightView {
        guard tensor.dtype.isDecodable else {
            throw ModelError.unsupported(path: path, problem: "tensor \(tensor.name.escapedForTerminal) has type \(tensor.dtype.name), which quantscope cannot decode")
        }
        switch tensor.location {
        case let .mapped(fileIndex, offset):
            let file = files[fileIndex]
            let bytes = try file.slice(offset: offset, count: tensor.byteCount)
            return WeightView(tensor: tensor, bytes: bytes, owner: file)
        case let .deflated(memberIndex):
            guard let inflater else { preconditionFailure("deflated tensor without an inflater") }
            let (bytes, owner) = try inflater.bytes(member: memberIndex, tensorBytes: tensor.byteCount)
            return WeightView(tensor: tensor, bytes: bytes, owner: owner)
        }
    }
}
