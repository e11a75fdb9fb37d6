/// A cursor over little-endian binary data that checks every read against the end of the buffer,
/// so a length or count from a file can never read past it.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    /// Absolute file offset of `bytes[0]`, for error messages.
    let baseOffset: Int
    private(set) var position: Int = 0

    init(_ bytes: UnsafeRawBufferPointer, path: String, baseOffset: Int = 0, position: Int = 0) {
        self.bytes = bytes
        self.path = path
        self.baseOffset = baseOffset
        self.position = position
    }

    var remaining: Int { bytes.count - position }
    /// The absolute file offset of the cursor.
    var fileOffset: Int { baseOffset + position }

    func error(_ problem: String, at offset: Int? = nil) -> ModelError {
        .malformed(path: path, problem: problem, offset: offset ?? fileOffset)
    }

    mutating func require(_ count: Int, for what: String) throws {
        guard count >= 0, count <= remaining else {
            throw error("file is truncated: \(what) needs \(count) bytes but only \(remaining) remain")
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        try require(MemoryLayout<T>.size, for: what)
        let value = bytes.loadUnaligned(fromByteOffset: position, as: T.self)
        position += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    mutating func readFloat(_ what: String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what))
    }

    mutating func readDouble(_ what: String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what))
    }

    mutating func readBytes(_ count: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        try require(count, for: what)
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
    }

    mutating func skip(_ count: Int, _ what: String) throws {
        try require(count, for: what)
        position += count
    }

    mutating func seek(to offset: Int) { position = offset }
}
