#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import EdgePruneCore

/// Durable file primitives for the state directory and key files.
///
/// Why not `FileIO.writeAtomically` (EdgePruneCore): it creates the file with a fixed mode 0644
/// (a private key must be 0600 from its first byte), names its temporary `PATH.tmp-PID` (a
/// crashed writer's leftovers need a prefix that a cleanup can recognise), and ignores a failed
/// fsync of the directory (the rename is then not known to be durable). This helper fixes the
/// three without changing Core.
///
/// Every write here is: a new temporary file `.tmp-<name>-<pid>-<random>` in the destination's
/// directory (O_EXCL, O_NOFOLLOW, created with the final mode), write, fsync, close, rename onto
/// the destination, fsync of the directory. A crash before the rename leaves the destination as
/// it was plus a temporary that `removeTemporaries(in:)` deletes; after the rename the new
/// content is complete, because it was fsynced before it got its name.
public enum DurableFile {
    /// Prefix of every temporary this module creates.
    public static let temporaryPrefix = ".tmp-"

    /// Writes `bytes` to `path` atomically and durably with permission bits `mode`.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws {
        try write(to: path, mode: mode) { fd, tmp in try FileIO.writeAll(fd, bytes, path: tmp) }
    }

    /// Atomic, durable write with a caller-supplied body that writes into the temporary file's
    /// descriptor. The body's errors leave `path` untouched and remove the temporary.
    public static func write(to path: String, mode: mode_t = 0o600,
                             _ body: (_ fd: Int32, _ temporaryPath: String) throws -> Void) throws {
        let (dir, name) = split(path)
        let (fd, tmp) = try createTemporary(in: dir, for: name, mode: mode)
        do {
            try body(fd, tmp)
            try sync(fd, tmp)
            guard close(fd) == 0 else { throw ioError("cannot close '\(tmp)'") }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        try commit(temporary: tmp, to: path, directory: dir)
    }

    /// Creates a new temporary file next to a destination named `name` in `directory`; the
    /// caller writes it, fsyncs it and hands it to `commit(temporary:to:directory:)`.
    public static func createTemporary(in directory: String, for name: String,
                                       mode: mode_t = 0o600) throws -> (fd: Int32, path: String) {
        for _ in 0..<8 {
            let tmp = directory + "/" + temporaryPrefix + name + "-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 {
                // The mode given to open() is filtered by the umask; the final mode is not.
                guard fchmod(fd, mode) == 0 else {
                    let e = ioError("cannot set the mode of '\(tmp)'")
                    close(fd); unlink(tmp)
                    throw e
                }
                return (fd, tmp)
            }
            if errno != EEXIST { throw ioError("cannot create '\(tmp)'") }
        }
        throw EdgePruneError(.io, "cannot create a temporary file in '\(directory)': names keep colliding")
    }

    /// Renames a fully written and fsynced temporary onto `path`, then fsyncs the directory so
    /// the new name survives a power cut. On a failed rename the temporary is removed.
    public static func commit(temporary tmp: String, to path: String, directory: String) throws {
        guard rename(tmp, path) == 0 else {
            let e = ioError("cannot rename '\(tmp)' to '\(path)'")
            unlink(tmp)
            throw e
        }
        try syncDirectory(directory)
    }

    /// fsync of an open file, retried on EINTR.
    public static func sync(_ fd: Int32, _ path: String) throws {
        while fsync(fd) != 0 {
            if errno == EINTR { continue }
            throw ioError("fsync of '\(path)' failed")
        }
    }

    /// fsync of a directory: makes creations, renames and removals in it durable.
    public static func syncDirectory(_ directory: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError("cannot open directory '\(directory)' to fsync it") }
        defer { close(fd) }
        try sync(fd, directory)
    }

    /// Creates `path` as a directory with `mode` if it does not exist; fails if it exists and is
    /// something else. The parent is fsynced after a creation.
    public static func ensureDirectory(_ path: String, mode: mode_t = 0o700) throws {
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw EdgePruneError(.io, "'\(path)' exists and is not a directory") }
            return
        }
        guard errno == ENOENT else { throw ioError("cannot stat '\(path)'") }
        guard mkdir(path, mode) == 0 || errno == EEXIST else { throw ioError("cannot create directory '\(path)'") }
        try syncDirectory(split(path).directory)
    }

    /// Names in `directory` (without "." and ".."), unsorted.
    public static func list(_ directory: String) throws -> [String] {
        guard let d = opendir(directory) else { throw ioError("cannot list '\(directory)'") }
        defer { closedir(d) }
        var names: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Deletes every temporary (`.tmp-*`) in `directory`: leftovers of writers that crashed
    /// before their rename. Returns how many were removed. Only call this while holding the
    /// directory's lock, so no live writer's temporary is removed.
    @discardableResult
    public static func removeTemporaries(in directory: String) throws -> Int {
        var removed = 0
        for name in try list(directory) where name.hasPrefix(temporaryPrefix) {
            if unlink(directory + "/" + name) == 0 { removed += 1 }
        }
        if removed > 0 { try syncDirectory(directory) }
        return removed
    }

    /// SHA-256 (lower-case hex) and size of a regular file, read in 64 KiB chunks.
    public static func sha256(ofFile path: String) throws -> (hex: String, size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw ioError("cannot open '\(path)'") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw EdgePruneError(.io, "'\(path)' is not a regular file")
        }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var size = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw ioError("cannot read '\(path)'") }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            size += n
        }
        return (hex(hasher.finalize()), size)
    }

    /// Lower-case hex SHA-256 of `bytes`.
    public static func sha256Hex(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

    /// Lower-case hex of a byte sequence.
    public static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let dir = String(path[..<slash])
        return (dir.isEmpty ? "/" : dir, String(path[path.index(after: slash)...]))
    }

    static func ioError(_ what: String) -> EdgePruneError {
        EdgePruneError(.io, "\(what): \(String(cString: strerror(errno)))")
    }
}
