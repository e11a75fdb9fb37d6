/// A metadata value from a model file: GGUF's typed key-value pairs or safetensors' `__metadata__` strings.
public indirect enum MetadataValue: Sendable, Equatable {
    case uint(UInt64)
    case int(Int64)
    case float(Double)
    case bool(Bool)
    case string(String)
    /// An array: its element type name, its full element count, and the first `values` (long arrays
    /// such as a tokenizer's vocabulary keep only a preview in memory).
    case array(elementType: String, count: Int, values: [MetadataValue])

    /// A one-line rendering for tables: long strings and arrays are shortened, control characters escaped.
    public var summary: String {
        switch self {
        case let .uint(v): return String(v)
        case let .int(v): return String(v)
        case let .float(v): return String(v)
        case let .bool(v): return String(v)
        case let .string(s):
            let short = s.count > 80 ? String(s.prefix(77)) + "…" : s
            return "\"" + short.escapedForTerminal + "\""
        case let .array(type, count, values):
            let shown = values.prefix(4).map(\.summary).joined(separator: ", ")
            return "[\(shown)\(count > 4 ? ", …" : "")] (\(count) × \(type))"
        }
    }

    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    public var intValue: Int? {
        switch self {
        case let .uint(v): return v <= UInt64(Int.max) ? Int(v) : nil
        case let .int(v): return Int(v)
        default: return nil
        }
    }
}

/// One metadata entry, in file order.
public struct MetadataEntry: Sendable, Equatable {
    public let key: String
    public let value: MetadataValue
    /// For GGUF: the byte range of the whole key-value record in the file, so a writer can copy it exactly.
    public let recordRange: Range<Int>?

    public init(key: String, value: MetadataValue, recordRange: Range<Int>? = nil) {
        self.key = key
        self.value = value
        self.recordRange = recordRange
    }
}
