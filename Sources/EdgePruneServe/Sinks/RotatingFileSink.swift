#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// JSON lines appended to a file that rotates at `maxBytes`: PATH is renamed PATH.1, PATH.1 to
/// PATH.2 and so on, keeping `keep` old files (the oldest is removed). A line is never split
/// across files. Lines are not fsynced one by one (a log, not state): a crash loses at most what
/// the kernel had not written back.
public final class RotatingFileSink: InferenceSink {
    public let path: String
    public let maxBytes: Int
    public let keep: Int
    public var name: String { "file \(path)" }
    /// Rotations done since the sink was opened.
    public private(set) var rotations = 0
    private var fd: Int32 = -1
    private var size = 0

    public init(path: String, maxBytes: Int = 10 << 20, keep: Int = 5) throws {
        guard maxBytes >= 1024 else { throw EdgePruneError(.input, "file sink '\(path)': max_bytes must be at least 1024, got \(maxBytes)") }
        guard (0...1000).contains(keep) else { throw EdgePruneError(.input, "file sink '\(path)': keep must be in 0...1000, got \(keep)") }
        self.path = path
        self.maxBytes = maxBytes
        self.keep = keep
        try open()
    }

    deinit { close() }

    public func emit(_ record: InferenceRecord) throws {
        guard fd >= 0 else { throw EdgePruneError(.io, "sink \(name) is closed") }
        let line = Array((record.jsonLine + "\n").utf8)
        if size > 0, size + line.count > maxBytes { try rotate() }
        try JSONLinesSink.writeAll(fd, line, name: name)
        size += line.count
    }

    public func close() {
        if fd >= 0 { _ = fsync(fd); _ = Glibc.close(fd) }
        fd = -1
    }

    private func open() throws {
        fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EdgePruneError(.io, "file sink: cannot open '\(path)': \(String(cString: strerror(errno)))") }
        var st = stat()
        size = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }

    private func rotate() throws {
        close()
        if keep == 0 {
            unlink(path)
        } else {
            unlink("\(path).\(keep)")
            for k in stride(from: keep - 1, through: 1, by: -1) { rename("\(path).\(k)", "\(path).\(k + 1)") }
            guard rename(path, "\(path).1") == 0 || errno == ENOENT else {
                let why = String(cString: strerror(errno))
                try open()
                throw EdgePruneError(.io, "file sink: cannot rotate '\(path)': \(why)")
            }
        }
        rotations += 1
        try open()
    }
}
