import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory: the model's bytes are reached without copying them,
/// and pages are read from disk only when touched.
public final class MappedFile: @unchecked Sendable {
    /// The path as given, used in error messages.
    public let path: String
    /// The whole file.
    public let bytes: UnsafeRawBufferPointer

    /// Opens and maps `path` read-only. An empty file, a directory or an unreadable path is an error.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ModelError.unreadable(path: path, reason: String(cString: strerror(errno)).lowercased())
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ModelError.unreadable(path: path, reason: String(cString: strerror(errno)).lowercased())
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw ModelError.unreadable(path: path, reason: "is a directory")
        }
        let size = Int(info.st_size)
        guard size > 0 else { throw ModelError.malformed(path: path, problem: "file is empty", offset: nil) }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw ModelError.unreadable(path: path, reason: "cannot map file: " + String(cString: strerror(errno)).lowercased())
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    /// The file size in bytes.
    public var size: Int { bytes.count }

    /// A slice of the file, after checking that `offset..<offset+count` lies inside it.
    public func slice(offset: Int, count: Int) throws -> UnsafeRawBufferPointer {
        let (end, overflow) = offset.addingReportingOverflow(count)
        guard offset >= 0, count >= 0, !overflow, end <= size else {
            throw ModelError.malformed(path: path, problem: "range of \(count) bytes lies beyond the end of the file (\(size) bytes)", offset: offset)
        }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
    }

    /// Tells the kernel the range will be read soon and in order.
    public func adviseSequential(offset: Int, count: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = offset / page * page
        guard let base = bytes.baseAddress else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), min(count + offset - start, size - start), MADV_WILLNEED)
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
    }
}
