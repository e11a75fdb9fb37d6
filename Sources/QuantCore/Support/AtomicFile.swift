import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that readers see either the old content or the new, never a mix: a temporary file in
/// the same folder, fsync, then rename over the target; the folder is synced too.
public enum AtomicFile {
    /// Replaces `path` with `data`. With `keepBackup`, the previous file (if any) is kept as `path.bak`.
    public static func write(_ data: Data, to path: String, keepBackup: Bool = false) throws {
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PlanError.cannotWrite(path: path, reason: "folder \(folder) does not exist")
        }
        let temporary = (folder as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).tmp-\(getpid())")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PlanError.cannotWrite(path: path, reason: String(cString: strerror(errno)).lowercased()) }
        var ok = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 { return false }
                offset += written
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        let writeError = errno
        close(fd)
        guard ok else {
            unlink(temporary)
            throw PlanError.cannotWrite(path: path, reason: String(cString: strerror(writeError)).lowercased())
        }
        if keepBackup, FileManager.default.fileExists(atPath: path) {
            // Hard-link the current file as the backup, so `path` itself never disappears.
            let backup = path + ".bak"
            let staging = temporary + ".bak"
            unlink(staging)
            if link(path, staging) == 0 { rename(staging, backup) }
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno)).lowercased()
            unlink(temporary)
            throw PlanError.cannotWrite(path: path, reason: reason)
        }
        let directory = open(folder, O_RDONLY | O_CLOEXEC)
        if directory >= 0 { fsync(directory); close(directory) }
    }
}
