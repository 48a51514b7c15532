#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small file helpers on the C library (the core stays free of Foundation).
public enum FileIO {
    /// Reads a whole file, refusing files over `maxBytes`.
    public static func read(_ path: String, maxBytes: Int = 1 << 32) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw EdgePruneError(.io, "cannot open '\(path)': \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw EdgePruneError(.io, "cannot stat '\(path)': \(String(cString: strerror(errno)))") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw EdgePruneError(.io, "'\(path)' is not a regular file") }
        let size = Int(st.st_size)
        guard size <= maxBytes else { throw EdgePruneError(.limit, "'\(path)' has \(size) bytes, over the \(maxBytes)-byte limit") }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, size - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw EdgePruneError(.io, "cannot read '\(path)': \(n == 0 ? "unexpected end of file" : String(cString: strerror(errno)))") }
            done += n
        }
        return bytes
    }

    /// Writes a file atomically: a temporary file in the same directory, fsync, rename, fsync of
    /// the directory. On any failure the destination is left as it was.
    public static func writeAtomically(_ path: String, _ write: (Int32) throws -> Void) throws {
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw EdgePruneError(.io, "cannot create '\(tmp)': \(String(cString: strerror(errno)))") }
        do {
            try write(fd)
            guard fsync(fd) == 0 else { throw EdgePruneError(.io, "fsync of '\(tmp)' failed: \(String(cString: strerror(errno)))") }
            close(fd)
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        guard rename(tmp, path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(tmp)
            throw EdgePruneError(.io, "cannot rename '\(tmp)' to '\(path)': \(message)")
        }
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let dfd = open(dir.isEmpty ? "/" : dir, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    public static func writeAtomically(_ path: String, bytes: [UInt8]) throws {
        try writeAtomically(path) { fd in try writeAll(fd, bytes, path: path) }
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { try writeAll(fd, $0.baseAddress, $0.count, path: path) }
    }

    public static func writeAll(_ fd: Int32, _ base: UnsafeRawPointer?, _ count: Int, path: String) throws {
        var done = 0
        while done < count {
            let n = Glibc.write(fd, base! + done, count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw EdgePruneError(.io, "cannot write '\(path)': \(String(cString: strerror(errno)))") }
            done += n
        }
    }
}

/// A read-only memory mapping of a whole file; tensors borrow from it without copying.
public final class MappedFile: @unchecked Sendable {
    public let base: UnsafeRawPointer
    public let size: Int

    public init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw EdgePruneError(.io, "cannot open '\(path)': \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw EdgePruneError(.io, "'\(path)' is not a regular file") }
        size = Int(st.st_size)
        guard size > 0 else { throw EdgePruneError(.format, "'\(path)' is empty") }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw EdgePruneError(.io, "cannot map '\(path)': \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }
}
