/// Reads a safetensors file's header: an 8-byte little-endian length, a JSON header, then a data section
/// that the tensors' `data_offsets` must tile exactly (no gaps, no overlaps, nothing left over).
enum SafetensorsReader {
    /// Headers larger than this are refused; real headers are kilobytes (the format's own limit is 100 MB).
    static let maxHeaderBytes = 100_000_000

    /// Parses the header of `file`; tensors are returned in data-offset order with absolute offsets.
    static func read(_ file: MappedFile, fileIndex: Int = 0) throws -> (tensors: [TensorInfo], metadata: [MetadataEntry]) {
        let path = file.path
        guard file.size >= 8 else {
            throw ModelError.malformed(path: path, problem: "file is truncated: \(file.size) bytes, shorter than the 8-byte safetensors header length", offset: 0)
        }
        let declared = file.bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard declared <= UInt64(maxHeaderBytes) else {
            throw ModelError.malformed(path: path, problem: "header length \(declared) exceeds the 100 MB limit", offset: 0)
        }
        let headerLength = Int(declared)
        guard headerLength <= file.size - 8 else {
            throw ModelError.malformed(path: path, problem: "header length \(headerLength) runs past the end of the file (\(file.size) bytes)", offset: 0)
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: file.bytes[8..<8 + headerLength])
        let header: JSONValue
        do {
            header = try JSONParser.parse(headerBytes)
        } catch {
            throw ModelError.malformed(path: path, problem: "invalid header JSON: \(error.message)", offset: 8 + error.offset)
        }
        guard let members = header.objectValue else {
            throw ModelError.malformed(path: path, problem: "header JSON is \(header.kindName), not an object", offset: 8)
        }
        let dataStart = 8 + headerLength
        let dataSize = file.size - dataStart
        var tensors: [(info: TensorInfo, begin: Int, end: Int)] = []
        var metadata: [MetadataEntry] = []
        for (name, entry) in members {
            if name == "__metadata__" {
                guard let pairs = entry.objectValue else {
                    throw ModelError.malformed(path: path, problem: "__metadata__ is \(entry.kindName), not an object of strings", offset: 8)
                }
                for (key, value) in pairs {
                    guard let text = value.stringValue else {
                        throw ModelError.malformed(path: path, problem: "__metadata__ value for \"\(key.escapedForTerminal)\" is \(value.kindName), not a string", offset: 8)
                    }
                    metadata.append(MetadataEntry(key: key, value: .string(text)))
                }
                continue
            }
            let shown = name.escapedForTerminal
            func bad(_ problem: String) -> ModelError {
                .malformed(path: path, problem: "tensor \(shown): \(problem)", offset: 8)
            }
            guard let dtypeName = entry["dtype"]?.stringValue else { throw bad("missing or non-string \"dtype\"") }
            guard let dtype = DType(safetensorsName: dtypeName) else { throw bad("unknown dtype \"\(dtypeName.escapedForTerminal)\"") }
            guard let shapeValues = entry["shape"]?.arrayValue else { throw bad("missing \"shape\" array") }
            guard shapeValues.count <= 16 else { throw bad("shape has \(shapeValues.count) dimensions (at most 16 are supported)") }
            var shape: [Int] = []
            for value in shapeValues {
                guard let dim = value.intValue, dim >= 0 else { throw bad("shape entry \(value) is not a non-negative integer") }
                shape.append(dim)
            }
            guard let offsets = entry["data_offsets"]?.arrayValue, offsets.count == 2,
                  let begin = offsets[0].intValue, let end = offsets[1].intValue else {
                throw bad("\"data_offsets\" must be two integers [begin, end]")
            }
            guard begin >= 0, end >= begin else { throw bad("data_offsets [\(begin), \(end)] are not an increasing pair") }
            guard end <= dataSize else {
                throw bad("data_offsets [\(begin), \(end)] run past the end of the data section (\(dataSize) bytes)")
            }
            guard let elements = TensorInfo.elementCount(of: shape) else { throw bad("shape \(shape) has too many elements") }
            guard let expected = dtype.byteCount(elements: elements) else {
                throw bad("\(elements) elements of \(dtype.name) do not fill whole bytes")
            }
            guard expected == end - begin else {
                throw bad("shape \(shape) of \(dtype.name) needs \(expected) bytes but data_offsets give \(end - begin)")
            }
            let info = TensorInfo(name: name, dtype: dtype, shape: shape, elementCount: elements, byteCount: expected,
                                  location: .mapped(fileIndex: fileIndex, offset: dataStart + begin))
            tensors.append((info, begin, end))
        }
        tensors.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var cursor = 0
        for t in tensors {
            if t.begin < cursor {
                throw ModelError.malformed(path: path, problem: "tensor \(t.info.name.escapedForTerminal) overlaps the previous tensor's data", offset: dataStart + t.begin)
            }
            if t.begin > cursor {
                throw ModelError.malformed(path: path, problem: "\(t.begin - cursor) bytes of the data section belong to no tensor (before \(t.info.name.escapedForTerminal))", offset: dataStart + cursor)
            }
            cursor = t.end
        }
        if cursor != dataSize {
            throw ModelError.malformed(path: path, problem: "\(dataSize - cursor) bytes after the last tensor belong to no tensor", offset: dataStart + cursor)
        }
        return (tensors.map(\.info), metadata)
    }
}
