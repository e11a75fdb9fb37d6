/// The container format a model was read from.
public enum ModelFormat: Hashable, Sendable, CustomStringConvertible {
    case safetensors
    /// Several safetensors shards listed by a `model.safetensors.index.json`.
    case shardedSafetensors(shards: Int)
    case gguf(version: Int)
    case npy
    case npz

    public var description: String {
        switch self {
        case .safetensors: "safetensors"
        case let .shardedSafetensors(shards): "safetensors (\(shards) shards)"
        case let .gguf(version): "GGUF v\(version)"
        case .npy: "NumPy .npy"
        case .npz: "NumPy .npz"
        }
    }
}
