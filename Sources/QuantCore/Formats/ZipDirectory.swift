/// The central directory of a ZIP archive (as written by `numpy.savez`), with ZIP64 support.
/// Only what reading members needs: names, methods, sizes and where each member's data starts.
struct ZipDirectory {
    struct Member {
        var name: String
        /// 0 = stored, 8 = deflated.
        var method: UInt16
        var compressedSize: Int
        var uncompressedSize: Int
        /// Absolute offset of the member's (possibly compressed) data.
        var dataOffset: Int
    }

    var members: [Member]

    static func read(_ file: MappedFile) throws -> ZipDirectory {
        let path = file.path
        let bytes = file.bytes
        // The end-of-central-directory record is in the last 22 + 65535 bytes.
        let searchStart = max(0, file.size - 22 - 65_535)
        var eocd: Int?
        var position = file.size - 22
        while position >= searchStart {
            if bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self).littleEndian == 0x0605_4B50 { eocd = position; break }
            position -= 1
        }
        guard let eocd else {
            throw ModelError.malformed(path: path, problem: "not a valid .npz: no ZIP end-of-central-directory record", offset: nil)
        }
        var r = ByteReader(bytes, path: path, position: eocd + 10)
        var count = Int(try r.read(UInt16.self, "the ZIP entry count"))
        var directorySize = Int(try r.read(UInt32.self, "the ZIP directory size"))
        var directoryOffset = Int(try r.read(UInt32.self, "the ZIP directory offset"))
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            guard eocd >= 20 else { throw r.error("ZIP64 locator missing", at: eocd) }
            var locator = ByteReader(bytes, path: path, position: eocd - 20)
            guard try locator.read(UInt32.self, "the ZIP64 locator") == 0x0706_4B50 else { throw r.error("ZIP64 locator missing", at: eocd - 20) }
            _ = try locator.read(UInt32.self, "the ZIP64 locator")
            let recordOffset = try locator.read(UInt64.self, "the ZIP64 record offset")
            guard recordOffset <= UInt64(file.size) else { throw locator.error("ZIP64 record offset \(recordOffset) is beyond the file") }
            var z = ByteReader(bytes, path: path, position: Int(recordOffset))
            guard try z.read(UInt32.self, "the ZIP64 record") == 0x0606_4B50 else { throw z.error("bad ZIP64 end-of-central-directory record") }
            try z.skip(20, "the ZIP64 record")
            let total = try z.read(UInt64.self, "the ZIP64 entry count")
            let size = try z.read(UInt64.self, "the ZIP64 directory size")
            let offset = try z.read(UInt64.self, "the ZIP64 directory offset")
            guard total <= UInt64(file.size), size <= UInt64(file.size), offset <= UInt64(file.size) else {
                throw z.error("ZIP64 directory fields are beyond the file")
            }
            count = Int(total); directorySize = Int(size); directoryOffset = Int(offset)
        }
        guard directoryOffset <= file.size, directorySize <= file.size - directoryOffset else {
            throw ModelError.malformed(path: path, problem: "ZIP central directory (\(directorySize) bytes at \(directoryOffset)) lies beyond the file", offset: eocd)
        }
        guard count <= directorySize / 46 else {
            throw ModelError.malformed(path: path, problem: "ZIP entry count \(count) cannot fit in a \(directorySize)-byte directory", offset: eocd)
        }
        var members: [Member] = []
        var d = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[directoryOffset..<directoryOffset + directorySize]), path: path, baseOffset: directoryOffset)
        for _ in 0..<count {
            let entryOffset = d.fileOffset
            guard try d.read(UInt32.self, "a ZIP directory entry") == 0x0201_4B50 else {
                throw d.error("bad ZIP central directory entry signature", at: entryOffset)
            }
            try d.skip(4, "a ZIP directory entry")
            let flags = try d.read(UInt16.self, "ZIP flags")
            let method = try d.read(UInt16.self, "ZIP method")
            try d.skip(8, "a ZIP directory entry")
            var compressed = UInt64(try d.read(UInt32.self, "ZIP compressed size"))
            var uncompressed = UInt64(try d.read(UInt32.self, "ZIP size"))
            let nameLength = Int(try d.read(UInt16.self, "ZIP name length"))
            let extraLength = Int(try d.read(UInt16.self, "ZIP extra length"))
            let commentLength = Int(try d.read(UInt16.self, "ZIP comment length"))
            try d.skip(8, "a ZIP directory entry")
            var localOffset = UInt64(try d.read(UInt32.self, "ZIP local header offset"))
            let name = String(decoding: try d.readBytes(nameLength, "a ZIP member name"), as: UTF8.self)
            var extra = ByteReader(try d.readBytes(extraLength, "a ZIP extra field"), path: path, baseOffset: d.fileOffset - extraLength)
            try d.skip(commentLength, "a ZIP comment")
            while extra.remaining >= 4 {
                let id = try extra.read(UInt16.self, "a ZIP extra id")
                let size = Int(try extra.read(UInt16.self, "a ZIP extra size"))
                var field = ByteReader(try extra.readBytes(size, "a ZIP extra field"), path: path)
                if id == 0x0001 {
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try field.read(UInt64.self, "ZIP64 size") }
                    if compressed == 0xFFFF_FFFF { compressed = try field.read(UInt64.self, "ZIP64 compressed size") }
                    if localOffset == 0xFFFF_FFFF { localOffset = try field.read(UInt64.self, "ZIP64 local header offset") }
                }
            }
            let label = "member \(name.escapedForTerminal)"
            if flags & 1 != 0 { throw ModelError.unsupported(path: path, problem: "\(label) is encrypted") }
            guard method == 0 || method == 8 else {
                throw ModelError.unsupported(path: path, problem: "\(label) uses ZIP compression method \(method) (only stored and deflated are supported)")
            }
            guard localOffset <= UInt64(file.size) - 30 else { throw d.error("\(label): local header offset \(localOffset) is beyond the file", at: entryOffset) }
            var local = ByteReader(bytes, path: path, position: Int(localOffset))
            guard try local.read(UInt32.self, "a ZIP local header") == 0x0403_4B50 else {
                throw local.error("\(label): bad local header signature", at: Int(localOffset))
            }
            try local.skip(22, "a ZIP local header")
            let localName = Int(try local.read(UInt16.self, "ZIP local name length"))
            let localExtra = Int(try local.read(UInt16.self, "ZIP local extra length"))
            let dataOffset = Int(localOffset) + 30 + localName + localExtra
            guard compressed <= UInt64(file.size), dataOffset <= file.size - Int(compressed) else {
                throw ModelError.malformed(path: path, problem: "\(label): \(compressed) bytes of data run past the end of the file", offset: dataOffset)
            }
            guard uncompressed <= UInt64(Int.max / 2) else { throw d.error("\(label): size \(uncompressed) is not plausible", at: entryOffset) }
            if method == 0 && compressed != uncompressed {
                throw d.error("\(label) is stored but its sizes differ (\(compressed) vs \(uncompressed))", at: entryOffset)
            }
            members.append(Member(name: name, method: method, compressedSize: Int(compressed), uncompressedSize: Int(uncompressed), dataOffset: dataOffset))
        }
        return ZipDirectory(members: members)
    }
}
