/// Reads a GGUF (v2, v3) header: metadata key-value pairs, tensor infos, and the aligned data section.
///
/// Every count and length is checked against the bytes that remain before it is used, so a damaged
/// file gives an error with its byte offset rather than a huge allocation.
enum GGUFReader {
    static let magic: UInt32 = 0x4655_4747 // "GGUF" little-endian
    /// ggml's GGML_MAX_DIMS.
    static let maxDimensions = 4
    /// Arrays keep at most this many values in memory; the rest are validated and skipped.
    static let arrayPreview = 64
    static let maxNesting = 8

    enum ValueType: UInt32 {
        case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64

        var name: String {
            switch self {
            case .uint8: "u8"
            case .int8: "i8"
            case .uint16: "u16"
            case .int16: "i16"
            case .uint32: "u32"
            case .int32: "i32"
            case .float32: "f32"
            case .bool: "bool"
            case .string: "string"
            case .array: "array"
            case .uint64: "u64"
            case .int64: "i64"
            case .float64: "f64"
            }
        }

        /// The smallest number of bytes one value of this type occupies.
        var minimumBytes: Int {
            switch self {
            case .uint8, .int8, .bool: 1
            case .uint16, .int16: 2
            case .uint32, .int32, .float32: 4
            case .uint64, .int64, .float64, .string: 8
            case .array: 12
            }
        }
    }

    struct Header {
        var version: Int
        var tensors: [TensorInfo]
        var metadata: [MetadataEntry]
        var alignment: Int
        var dataStart: Int
    }

    static func read(_ file: MappedFile) throws -> Header {
        var r = ByteReader(file.bytes, path: file.path)
        let magicValue = try r.read(UInt32.self, "the magic number")
        guard magicValue == magic else {
            throw r.error("not a GGUF file: bad magic 0x\(String(magicValue, radix: 16))", at: 0)
        }
        let rawVersion = try r.read(UInt32.self, "the version")
        if rawVersion.byteSwapped == 2 || rawVersion.byteSwapped == 3 {
            throw ModelError.unsupported(path: file.path, problem: "big-endian GGUF files are not supported")
        }
        guard rawVersion == 2 || rawVersion == 3 else {
            if rawVersion == 1 {
                throw ModelError.unsupported(path: file.path, problem: "GGUF version 1 is not supported (only versions 2 and 3); convert the file with a current llama.cpp")
            }
            throw ModelError.unsupported(path: file.path, problem: "unsupported GGUF version \(rawVersion) (only versions 2 and 3 are supported)")
        }
        let tensorCount = try r.read(UInt64.self, "the tensor count")
        let kvCount = try r.read(UInt64.self, "the metadata count")
        // Each tensor info needs at least 8 (name length) + 4 (dims) + 4 (type) + 8 (offset) bytes; each pair 8 + 4 + 1.
        guard tensorCount <= UInt64(r.remaining / 24) else {
            throw r.error("tensor count \(tensorCount) is impossible for a file of \(file.size) bytes", at: 8)
        }
        guard kvCount <= UInt64(r.remaining / 13) else {
            throw r.error("metadata count \(kvCount) is impossible for a file of \(file.size) bytes", at: 16)
        }
        var metadata: [MetadataEntry] = []
        metadata.reserveCapacity(Int(kvCount))
        var alignment = 32
        var seenKeys = Set<String>()
        for _ in 0..<Int(kvCount) {
            let start = r.fileOffset
            let key = try readString(&r, "a metadata key")
            guard seenKeys.insert(key).inserted else {
                throw r.error("duplicate metadata key \"\(key.escapedForTerminal)\"", at: start)
            }
            let typeOffset = r.fileOffset
            let typeID = try r.read(UInt32.self, "the type of \(key.escapedForTerminal)")
            guard let type = ValueType(rawValue: typeID) else {
                throw r.error("metadata \(key.escapedForTerminal) has unknown value type \(typeID)", at: typeOffset)
            }
            let value = try readValue(&r, type: type, key: key, depth: 0)
            if key == "general.alignment" {
                guard case let .uint(a) = value, type == .uint32 else {
                    throw r.error("general.alignment must be a u32", at: typeOffset)
                }
                guard a > 0, a <= 1 << 20, a & (a - 1) == 0 else {
                    throw r.error("general.alignment \(a) is not a power of two between 1 and 1 MiB", at: typeOffset)
                }
                alignment = Int(a)
            }
            metadata.append(MetadataEntry(key: key, value: value, recordRange: start..<r.fileOffset))
        }

        struct RawInfo { var name: String; var dims: [Int]; var type: GGMLType; var offset: UInt64; var at: Int }
        var infos: [RawInfo] = []
        infos.reserveCapacity(Int(tensorCount))
        var seenNames = Set<String>()
        for index in 0..<Int(tensorCount) {
            let start = r.fileOffset
            let name = try readString(&r, "the name of tensor \(index)")
            guard seenNames.insert(name).inserted else {
                throw r.error("duplicate tensor name \"\(name.escapedForTerminal)\"", at: start)
            }
            let shown = name.escapedForTerminal
            let nDims = try r.read(UInt32.self, "the dimension count of \(shown)")
            guard nDims >= 1, nDims <= UInt32(maxDimensions) else {
                throw r.error("tensor \(shown) has \(nDims) dimensions (GGUF allows 1 to \(maxDimensions))", at: r.fileOffset - 4)
            }
            var dims: [Int] = []
            for _ in 0..<Int(nDims) {
                let dim = try r.read(UInt64.self, "a dimension of \(shown)")
                guard dim <= UInt64(Int64.max) else { throw r.error("tensor \(shown) has dimension \(dim)", at: r.fileOffset - 8) }
                dims.append(Int(dim))
            }
            let typeID = try r.read(UInt32.self, "the type of \(shown)")
            guard let type = GGMLType(rawValue: typeID) else {
                throw r.error("tensor \(shown) has unknown ggml type id \(typeID)", at: r.fileOffset - 4)
            }
            let offset = try r.read(UInt64.self, "the data offset of \(shown)")
            infos.append(RawInfo(name: name, dims: dims, type: type, offset: offset, at: start))
        }
        let dataStart = alignUp(r.fileOffset, alignment)
        guard dataStart <= file.size else {
            throw r.error("file is truncated: the data section would start at byte \(dataStart), past the end (\(file.size) bytes)")
        }
        let dataSize = file.size - dataStart

        var tensors: [TensorInfo] = []
        tensors.reserveCapacity(infos.count)
        var expectedOffset = 0
        for info in infos {
            let shown = info.name.escapedForTerminal
            guard let elements = TensorInfo.elementCount(of: info.dims) else {
                throw r.error("tensor \(shown): shape \(info.dims.reversed().map { $0 }) has too many elements", at: info.at)
            }
            let dtype = DType(ggml: info.type)
            guard info.dims[0] % info.type.blockSize == 0, let bytes = dtype.byteCount(elements: elements) else {
                throw r.error("tensor \(shown): row length \(info.dims[0]) is not a multiple of the \(info.type.name) block size \(info.type.blockSize)", at: info.at)
            }
            guard info.offset % UInt64(alignment) == 0 else {
                throw r.error("tensor \(shown): data offset \(info.offset) is not a multiple of the alignment \(alignment)", at: info.at)
            }
            guard info.offset <= UInt64(dataSize), bytes <= dataSize - Int(info.offset) else {
                throw ModelError.malformed(path: file.path, problem: "tensor \(shown): \(bytes) bytes at data offset \(info.offset) run past the end of the file", offset: dataStart + Int(min(info.offset, UInt64(dataSize))))
            }
            let offset = Int(info.offset)
            if offset != expectedOffset {
                let problem = offset < expectedOffset ? "overlaps the previous tensor's data" : "leaves a gap after the previous tensor's data"
                throw ModelError.malformed(path: file.path, problem: "tensor \(shown): data offset \(offset) \(problem) (expected \(expectedOffset))", offset: dataStart + offset)
            }
            expectedOffset = alignUp(offset + bytes, alignment)
            tensors.append(TensorInfo(name: info.name, dtype: dtype, shape: info.dims.reversed(), elementCount: elements,
                                      byteCount: bytes, location: .mapped(fileIndex: 0, offset: dataStart + offset)))
        }
        return Header(version: Int(rawVersion), tensors: tensors, metadata: metadata, alignment: alignment, dataStart: dataStart)
    }

    static func alignUp(_ value: Int, _ alignment: Int) -> Int {
        (value + alignment - 1) / alignment * alignment
    }

    static func readString(_ r: inout ByteReader, _ what: String) throws -> String {
        let length = try r.read(UInt64.self, "the length of \(what)")
        guard length <= UInt64(r.remaining) else {
            throw r.error("\(what) claims \(length) bytes but only \(r.remaining) remain", at: r.fileOffset - 8)
        }
        let bytes = try r.readBytes(Int(length), what)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func readValue(_ r: inout ByteReader, type: ValueType, key: String, depth: Int) throws -> MetadataValue {
        let what = "the value of \(key.escapedForTerminal)"
        switch type {
        case .uint8: return .uint(UInt64(try r.read(UInt8.self, what)))
        case .int8: return .int(Int64(try r.read(Int8.self, what)))
        case .uint16: return .uint(UInt64(try r.read(UInt16.self, what)))
        case .int16: return .int(Int64(try r.read(Int16.self, what)))
        case .uint32: return .uint(UInt64(try r.read(UInt32.self, what)))
        case .int32: return .int(Int64(try r.read(Int32.self, what)))
        case .uint64: return .uint(try r.read(UInt64.self, what))
        case .int64: return .int(try r.read(Int64.self, what))
        case .float32: return .float(Double(try r.readFloat(what)))
        case .float64: return .float(try r.readDouble(what))
        case .bool:
            let b = try r.read(UInt8.self, what)
            guard b <= 1 else { throw r.error("\(what) is a bool with byte value \(b)", at: r.fileOffset - 1) }
            return .bool(b == 1)
        case .string: return .string(try readString(&r, what))
        case .array:
            guard depth < maxNesting else { throw r.error("\(what) nests arrays deeper than \(maxNesting) levels") }
            let elementTypeID = try r.read(UInt32.self, "the element type of \(key.escapedForTerminal)")
            guard let elementType = ValueType(rawValue: elementTypeID) else {
                throw r.error("\(what) is an array of unknown type \(elementTypeID)", at: r.fileOffset - 4)
            }
            let count = try r.read(UInt64.self, "the length of \(what)")
            guard count <= UInt64(r.remaining / elementType.minimumBytes) else {
                throw r.error("\(what) claims \(count) elements, more than the \(r.remaining) remaining bytes can hold", at: r.fileOffset - 8)
            }
            var values: [MetadataValue] = []
            values.reserveCapacity(min(Int(count), arrayPreview))
            for i in 0..<Int(count) {
                if i >= arrayPreview, elementType != .array, elementType != .string {
                    try r.skip((Int(count) - i) * elementType.minimumBytes, what)
                    break
                }
                if i >= arrayPreview, elementType == .string {
                    let length = try r.read(UInt64.self, "the length of \(what)")
                    guard length <= UInt64(r.remaining) else {
                        throw r.error("a string in \(what) claims \(length) bytes but only \(r.remaining) remain", at: r.fileOffset - 8)
                    }
                    try r.skip(Int(length), what)
                    continue
                }
                let value = try readValue(&r, type: elementType, key: key, depth: depth + 1)
                if i < arrayPreview { values.append(value) }
            }
            let typeName = elementType == .array ? "array" : elementType.name
            return .array(elementType: typeName, count: Int(count), values: values)
        }
    }
}
