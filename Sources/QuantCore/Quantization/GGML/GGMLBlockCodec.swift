/// Interim: decodes only the plain GGUF types until the block codecs land.
public enum GGMLBlockCodec {
    public static func canDecode(_ type: GGMLType) -> Bool { [.f32, .f16, .bf16].contains(type) }
    public static func canEncode(_ type: GGMLType) -> Bool { false }
    public static func decode(_ type: GGMLType, from source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        switch type {
        case .f32: ElementDecoder.decode(.f32, from: source, count: count, into: destination)
        case .f16: ElementDecoder.decode(.f16, from: source, count: count, into: destination)
        case .bf16: ElementDecoder.decode(.bf16, from: source, count: count, into: destination)
        default: preconditionFailure("cannot decode \(type.name)")
        }
    }
    public static func encode(_ type: GGMLType, from source: UnsafePointer<Float>, count: Int, into destination: UnsafeMutableRawPointer) {
        preconditionFailure("cannot encode \(type.name)")
    }
}
