import Foundation

/// Opens a model path: detects the format from the file's first bytes (not its extension) and reads the header.
enum ModelLoader {
    static let indexName = "model.safetensors.index.json"

    static func open(path: String) throws -> Model {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelError.unreadable(path: path, reason: "no such file or directory")
        }
        if isDirectory.boolValue {
            let index = (path as NSString).appendingPathComponent(indexName)
            if FileManager.default.fileExists(atPath: index) { return try openIndex(path: index, shownPath: path) }
            let single = (path as NSString).appendingPathComponent("model.safetensors")
            if FileManager.default.fileExists(atPath: single) { return try open(path: single) }
            throw ModelError.unreadable(path: path, reason: "is a directory without \(indexName) or model.safetensors")
        }
        let file = try MappedFile(path: path)
        let head = file.bytes.prefix(8)
        if head.starts(with: [0x47, 0x47, 0x55, 0x46]) { return try openGGUF(file) }
        if head.starts(with: NumpyHeader.magic) { return try openNpy(file) }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return try openNpz(file) }
        if let firstByte = head.first, firstByte == UInt8(ascii: "{") { return try openIndex(path: path, shownPath: path, file: file) }
        if file.size >= 9, file.bytes[8] == UInt8(ascii: "{") || file.bytes[8] == UInt8(ascii: " ") {
            let (tensors, metadata) = try SafetensorsReader.read(file)
            return Model(path: path, format: .safetensors, tensors: tensors, metadata: metadata, files: [file])
        }
        // The content matched no format; let the extension pick the reader so its error says what is wrong.
        let lowered = path.lowercased()
        if lowered.hasSuffix(".gguf") { return try openGGUF(file) }
        if lowered.hasSuffix(".safetensors") {
            let (tensors, metadata) = try SafetensorsReader.read(file)
            return Model(path: path, format: .safetensors, tensors: tensors, metadata: metadata, files: [file])
        }
        if lowered.hasSuffix(".npy") { return try openNpy(file) }
        if head.count >= 4, head.starts(with: [0x46, 0x55, 0x47, 0x47]) {
            throw ModelError.unsupported(path: path, problem: "big-endian GGUF files are not supported")
        }
        if head.starts(with: [0x08]) || path.hasSuffix(".onnx") {
            throw ModelError.unsupported(path: path, problem: "unknown format (ONNX and PyTorch files are not supported yet; use safetensors, GGUF or NumPy)")
        }
        throw ModelError.unsupported(path: path, problem: "unknown format: not safetensors, GGUF, .npy or .npz (first bytes \(head.map { String(format: "%02x", $0) }.joined(separator: " ")))")
    }

    static func openGGUF(_ file: MappedFile) throws -> Model {
        let header = try GGUFReader.read(file)
        return Model(path: file.path, format: .gguf(version: header.version), tensors: header.tensors, metadata: header.metadata, files: [file])
    }

    static func openNpy(_ file: MappedFile) throws -> Model {
        let header = try NumpyHeader.parse(file.bytes, path: file.path, baseOffset: 0)
        guard header.dataBytes <= file.size - header.headerLength else {
            throw ModelError.malformed(path: file.path, problem: "file is truncated: the array needs \(header.dataBytes) bytes of data but \(file.size - header.headerLength) remain", offset: header.headerLength)
        }
        let name = ((file.path as NSString).lastPathComponent as NSString).deletingPathExtension
        let tensor = TensorInfo(name: name, dtype: header.dtype, shape: header.shape, elementCount: header.elementCount,
                                byteCount: header.dataBytes, location: .mapped(fileIndex: 0, offset: header.headerLength))
        return Model(path: file.path, format: .npy, tensors: [tensor], metadata: [], files: [file])
    }

    static func openNpz(_ file: MappedFile) throws -> Model {
        let directory = try ZipDirectory.read(file)
        let deflated = DeflatedMembers(file: file, members: directory.members)
        var tensors: [TensorInfo] = []
        var names = Set<String>()
        for (index, member) in directory.members.enumerated() {
            guard member.name.hasSuffix(".npy") else { continue }
            let name = String(member.name.dropLast(4))
            let label = "member \(member.name.escapedForTerminal)"
            guard names.insert(name).inserted else {
                throw ModelError.malformed(path: file.path, problem: "duplicate \(label)", offset: member.dataOffset)
            }
            let header: NumpyHeader
            let location: TensorLocation
            if member.method == 0 {
                let bytes = try file.slice(offset: member.dataOffset, count: member.compressedSize)
                header = try NumpyHeader.parse(bytes, path: file.path, baseOffset: member.dataOffset, label: label)
                location = .mapped(fileIndex: 0, offset: member.dataOffset + header.headerLength)
            } else {
                let prefix: [UInt8]
                do {
                    prefix = try deflated.prefix(member: index, count: 65_536 + 12)
                } catch {
                    throw ModelError.malformed(path: file.path, problem: "\(label) is not valid deflate data", offset: member.dataOffset)
                }
                header = try prefix.withUnsafeBytes { try NumpyHeader.parse($0, path: file.path, baseOffset: member.dataOffset, label: label) }
                deflated.headerLengths[index] = header.headerLength
                location = .deflated(memberIndex: index)
            }
            guard header.headerLength + header.dataBytes <= member.uncompressedSize else {
                throw ModelError.malformed(path: file.path, problem: "\(label) is truncated: the array needs \(header.dataBytes) bytes of data", offset: member.dataOffset)
            }
            tensors.append(TensorInfo(name: name, dtype: header.dtype, shape: header.shape, elementCount: header.elementCount,
                                      byteCount: header.dataBytes, location: location))
        }
        return Model(path: file.path, format: .npz, tensors: tensors, metadata: [], files: [file], inflater: deflated)
    }

    /// Opens the shards listed by a `model.safetensors.index.json` (`weight_map`: tensor name → shard file).
    static func openIndex(path: String, shownPath: String, file: MappedFile? = nil) throws -> Model {
        let indexFile = try file ?? MappedFile(path: path)
        let json: JSONValue
        do {
            json = try JSONParser.parse(indexFile.bytes)
        } catch {
            throw ModelError.malformed(path: path, problem: "invalid index JSON: \(error.message)", offset: error.offset)
        }
        guard let weightMap = json["weight_map"]?.objectValue else {
            throw ModelError.malformed(path: path, problem: "not a safetensors index: no \"weight_map\" object", offset: nil)
        }
        var shardNames: [String] = []
        for (tensor, shard) in weightMap {
            guard let name = shard.stringValue else {
                throw ModelError.malformed(path: path, problem: "weight_map entry for \(tensor.escapedForTerminal) is not a file name", offset: nil)
            }
            guard !name.contains("/"), name != "..", !name.isEmpty else {
                throw ModelError.malformed(path: path, problem: "weight_map names shard \"\(name.escapedForTerminal)\" outside the index's folder", offset: nil)
            }
            if !shardNames.contains(name) { shardNames.append(name) }
        }
        shardNames.sort()
        let folder = (path as NSString).deletingLastPathComponent
        var files: [MappedFile] = []
        var tensors: [TensorInfo] = []
        var metadata: [MetadataEntry] = []
        if let extra = json["metadata"]?.objectValue {
            for (key, value) in extra {
                let rendered: MetadataValue = value.stringValue.map { .string($0) } ?? value.intValue.map { .int(Int64($0)) } ?? .string("\(value)")
                metadata.append(MetadataEntry(key: key, value: rendered))
            }
        }
        var where_: [String: String] = [:]
        for (index, shardName) in shardNames.enumerated() {
            let shardPath = folder.isEmpty ? shardName : (folder as NSString).appendingPathComponent(shardName)
            let shard = try MappedFile(path: shardPath)
            let (shardTensors, shardMetadata) = try SafetensorsReader.read(shard, fileIndex: index)
            files.append(shard)
            if index == 0 { metadata.append(contentsOf: shardMetadata) }
            for tensor in shardTensors {
                if let other = where_[tensor.name] {
                    throw ModelError.malformed(path: shardPath, problem: "tensor \(tensor.name.escapedForTerminal) is also in \(other)", offset: nil)
                }
                where_[tensor.name] = shardName
                tensors.append(tensor)
            }
        }
        for (tensor, shard) in weightMap {
            let listed = shard.stringValue ?? ""
            guard let actual = where_[tensor] else {
                throw ModelError.malformed(path: path, problem: "weight_map lists \(tensor.escapedForTerminal) in \(listed), but no shard holds it", offset: nil)
            }
            guard actual == listed else {
                throw ModelError.malformed(path: path, problem: "weight_map puts \(tensor.escapedForTerminal) in \(listed), but it is in \(actual)", offset: nil)
            }
        }
        if tensors.count != weightMap.count {
            let unlisted = tensors.first { tensor in !weightMap.contains { $0.key == tensor.name } }
            throw ModelError.malformed(path: path, problem: "shard tensor \(unlisted?.name.escapedForTerminal ?? "?") is missing from weight_map", offset: nil)
        }
        return Model(path: shownPath, format: .shardedSafetensors(shards: files.count), tensors: tensors, metadata: metadata, files: files)
    }
}
