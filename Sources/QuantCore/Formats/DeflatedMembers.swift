import Foundation
import ZIPFoundation

/// Deflated `.npz` members, inflated on first use and kept for the model's lifetime.
final class DeflatedMembers: @unchecked Sendable {
    /// Deflate cannot expand data by more than about 1032:1; a larger claimed size means a damaged archive.
    static let maxExpansion = 1_100

    let file: MappedFile
    let members: [ZipDirectory.Member]
    /// The `.npy` header length of each member, from `prefix(member:)`.
    var headerLengths: [Int: Int] = [:]
    private var inflated: [Int: UnsafeMutableRawBufferPointer] = [:]
    private let lock = NSLock()

    init(file: MappedFile, members: [ZipDirectory.Member]) {
        self.file = file
        self.members = members
    }

    deinit {
        for buffer in inflated.values { buffer.deallocate() }
    }

    private struct Enough: Error {}

    /// Inflates the first `count` bytes of a member (enough to read its `.npy` header).
    func prefix(member index: Int, count: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        do {
            try inflate(member: index) { chunk in
                out.append(contentsOf: chunk.prefix(count - out.count))
                if out.count >= count { throw Enough() }
            }
        } catch is Enough {}
        return out
    }

    /// The member's array data (after its header), inflating the member on first use.
    func bytes(member index: Int, tensorBytes: Int) throws -> (UnsafeRawBufferPointer, AnyObject) {
        lock.lock()
        defer { lock.unlock() }
        let member = members[index]
        let header = headerLengths[index] ?? 0
        if inflated[index] == nil {
            let size = member.uncompressedSize
            guard size <= member.compressedSize * Self.maxExpansion + 4096 else {
                throw ModelError.malformed(path: file.path, problem: "member \(member.name.escapedForTerminal) claims \(size) bytes, far more than its \(member.compressedSize) compressed bytes can hold", offset: member.dataOffset)
            }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 64)
            var written = 0
            do {
                try inflate(member: index) { chunk in
                    guard written + chunk.count <= size else { throw Enough() }
                    chunk.withUnsafeBytes { buffer.baseAddress!.advanced(by: written).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                    written += chunk.count
                }
            } catch {
                buffer.deallocate()
                throw ModelError.malformed(path: file.path, problem: "member \(member.name.escapedForTerminal) does not inflate to its declared \(size) bytes", offset: member.dataOffset)
            }
            guard written == size else {
                buffer.deallocate()
                throw ModelError.malformed(path: file.path, problem: "member \(member.name.escapedForTerminal) inflates to \(written) bytes, not the declared \(size)", offset: member.dataOffset)
            }
            inflated[index] = buffer
        }
        let buffer = inflated[index]!
        guard header + tensorBytes <= member.uncompressedSize else {
            throw ModelError.malformed(path: file.path, problem: "member \(member.name.escapedForTerminal) is shorter than its array", offset: member.dataOffset)
        }
        return (UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[header..<header + tensorBytes]), self)
    }

    private func inflate(member index: Int, consumer: (Data) throws -> Void) throws {
        let member = members[index]
        let source = try file.slice(offset: member.dataOffset, count: member.compressedSize)
        _ = try withoutActuallyEscaping(consumer) { consumer in
            try Data.decompress(size: Int64(member.compressedSize), bufferSize: 1 << 16, skipCRC32: true,
                                provider: { position, size in
                                    let start = Int(position)
                                    let end = min(start + size, source.count)
                                    return Data(source[start..<end])
                                },
                                consumer: consumer)
        }
    }
}
