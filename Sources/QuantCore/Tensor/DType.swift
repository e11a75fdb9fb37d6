/// The element type of a stored tensor: a plain numeric type, or a ggml block type from a GGUF file.
public enum DType: Hashable, Sendable, CustomStringConvertible {
    case f64, f32, f16, bf16
    /// 8-bit floats (OCP FP8): E4M3 "fn" (finite, max 448) and E5M2 (IEEE-like), and the E8M0 scale type.
    case f8e4m3, f8e5m2, f8e8m0
    case i64, i32, i16, i8, u64, u32, u16, u8, bool
    /// Sub-byte floats safetensors can store; listed but not decoded.
    case f4, f6e2m3, f6e3m2
    /// Complex64 (safetensors `C64`); listed but not decoded.
    case c64
    /// A ggml block-quantised type (Q4_K, Q8_0, …) from a GGUF file.
    case ggml(GGMLType)

    /// The name as the source format spells it (`F32`, `BF16`, `F8_E4M3`, `Q4_K`).
    public var name: String {
        switch self {
        case .f64: "F64"
        case .f32: "F32"
        case .f16: "F16"
        case .bf16: "BF16"
        case .f8e4m3: "F8_E4M3"
        case .f8e5m2: "F8_E5M2"
        case .f8e8m0: "F8_E8M0"
        case .i64: "I64"
        case .i32: "I32"
        case .i16: "I16"
        case .i8: "I8"
        case .u64: "U64"
        case .u32: "U32"
        case .u16: "U16"
        case .u8: "U8"
        case .bool: "BOOL"
        case .f4: "F4"
        case .f6e2m3: "F6_E2M3"
        case .f6e3m2: "F6_E3M2"
        case .c64: "C64"
        case let .ggml(type): type.name
        }
    }

    public var description: String { name }

    /// Storage bits per element, averaged over a block for ggml types (4.5 for Q4_0).
    public var bitsPerElement: Double {
        switch self {
        case let .ggml(type): Double(type.blockBytes * 8) / Double(type.blockSize)
        case .f4: 4
        case .f6e2m3, .f6e3m2: 6
        default: Double(elementBytes * 8)
        }
    }

    /// Bytes of one element for byte-sized types (0 for sub-byte and block types).
    var elementBytes: Int {
        switch self {
        case .f64, .i64, .u64, .c64: 8
        case .f32, .i32, .u32: 4
        case .f16, .bf16, .i16, .u16: 2
        case .f8e4m3, .f8e5m2, .f8e8m0, .i8, .u8, .bool: 1
        case .f4, .f6e2m3, .f6e3m2, .ggml: 0
        }
    }

    /// Elements that share one unit of storage: the ggml block size, 1 for plain types.
    public var blockSize: Int {
        if case let .ggml(type) = self { return type.blockSize }
        return 1
    }

    /// The exact byte size of `elements` elements, or nil if they do not fill whole bytes or blocks
    /// (or the size overflows).
    public func byteCount(elements: Int) -> Int? {
        switch self {
        case let .ggml(type):
            guard elements % type.blockSize == 0 else { return nil }
            let (bytes, overflow) = (elements / type.blockSize).multipliedReportingOverflow(by: type.blockBytes)
            return overflow ? nil : bytes
        case .f4, .f6e2m3, .f6e3m2:
            let bits = self == .f4 ? 4 : 6
            let (total, overflow) = elements.multipliedReportingOverflow(by: bits)
            guard !overflow, total % 8 == 0 else { return nil }
            return total / 8
        default:
            let (bytes, overflow) = elements.multipliedReportingOverflow(by: elementBytes)
            return overflow ? nil : bytes
        }
    }

    /// Whether quantscope can convert this type to f32.
    public var isDecodable: Bool {
        switch self {
        case .f4, .f6e2m3, .f6e3m2, .c64: false
        case let .ggml(type): GGMLBlockCodec.canDecode(type)
        default: true
        }
    }

    /// Whether the type is a floating-point type (weights) rather than integers or booleans (indices, masks).
    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16, .f8e4m3, .f8e5m2, .f8e8m0, .f4, .f6e2m3, .f6e3m2, .ggml: true
        default: false
        }
    }

    /// The type for a safetensors dtype string, or nil if the string is not one.
    public init?(safetensorsName: String) {
        let table: [String: DType] = [
            "F64": .f64, "F32": .f32, "F16": .f16, "BF16": .bf16,
            "F8_E4M3": .f8e4m3, "F8_E5M2": .f8e5m2, "F8_E8M0": .f8e8m0,
            "I64": .i64, "I32": .i32, "I16": .i16, "I8": .i8,
            "U64": .u64, "U32": .u32, "U16": .u16, "U8": .u8, "BOOL": .bool,
            "F4": .f4, "F6_E2M3": .f6e2m3, "F6_E3M2": .f6e3m2, "C64": .c64,
        ]
        guard let type = table[safetensorsName] else { return nil }
        self = type
    }

    /// The type for a GGUF tensor type id; plain ids map to plain types.
    public init(ggml type: GGMLType) {
        switch type {
        case .f32: self = .f32
        case .f16: self = .f16
        case .bf16: self = .bf16
        case .f64: self = .f64
        case .i8: self = .i8
        case .i16: self = .i16
        case .i32: self = .i32
        case .i64: self = .i64
        default: self = .ggml(type)
        }
    }
}
