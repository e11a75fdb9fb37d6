import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file written through a temporary name in the same folder and renamed into place only when complete,
/// so an error or an interrupt never leaves a partial file at the target path.
public final class OutputFile {
    public let path: String
    let temporaryPath: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    public private(set) var bytesWritten = 0
    private var finished = false

    /// Temporary files of outputs in progress, removed by `removeTemporaryFiles()` from a signal handler.
    nonisolated(unsafe) static var inProgress: [String] = []

    public init(path: String) throws {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw WriterError(path: path, problem: "folder \(folder) does not exist")
        }
        temporaryPath = (folder as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).partial-\(getpid())")
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriterError(path: path, problem: "cannot create a file in \(folder): " + String(cString: strerror(errno)).lowercased()) }
        Self.inProgress.append(temporaryPath)
    }

    deinit {
        if !finished { abandon() }
    }

    public func write(_ bytes: [UInt8]) throws {
        buffer += bytes
        if buffer.count >= 1 << 20 { try flush() }
    }

    public func write(_ raw: UnsafeRawBufferPointer) throws {
        try flush()
        try writeAll(raw)
    }

    /// Writes zero bytes up to the next multiple of `alignment`.
    public func pad(to alignment: Int) throws {
        let total = bytesWritten + buffer.count
        let padding = (alignment - total % alignment) % alignment
        try write([UInt8](repeating: 0, count: padding))
    }

    public var position: Int { bytesWritten + buffer.count }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        try pending.withUnsafeBytes { try writeAll($0) }
    }

    private func writeAll(_ raw: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < raw.count {
            let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
            guard n > 0 else { throw WriterError(path: path, problem: "write failed: " + String(cString: strerror(errno)).lowercased()) }
            offset += n
        }
        bytesWritten += raw.count
    }

    /// Flushes, syncs and renames the file into place.
    public func commit() throws {
        try flush()
        guard fsync(fd) == 0 else { throw WriterError(path: path, problem: "fsync failed: " + String(cString: strerror(errno)).lowercased()) }
        close(fd)
        fd = -1
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno)).lowercased()
            abandon()
            throw WriterError(path: path, problem: "cannot rename into place: \(reason)")
        }
        finished = true
        Self.inProgress.removeAll { $0 == temporaryPath }
    }

    /// Removes the temporary file; the target path is untouched.
    public func abandon() {
        if fd >= 0 { close(fd); fd = -1 }
        unlink(temporaryPath)
        finished = true
        Self.inProgress.removeAll { $0 == temporaryPath }
    }

    /// Unlinks every temporary output; safe to call from a signal handler's exit path.
    public static func removeTemporaryFiles() {
        for path in inProgress { unlink(path) }
    }
}

/// Why an output could not be written.
public struct WriterError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}
