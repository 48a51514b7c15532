#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// JSON lines on a file descriptor (standard output by default), one per inference, written
/// whole with write(2) so lines from one process never interleave.
public final class JSONLinesSink: InferenceSink {
    public let name: String
    private let fd: Int32
    private var closed = false

    public init(fd: Int32 = STDOUT_FILENO, name: String = "stdout") {
        self.fd = fd
        self.name = name
    }

    public func emit(_ record: InferenceRecord) throws {
        guard !closed else { throw EdgePruneError(.io, "sink \(name) is closed") }
        try Self.writeAll(fd, Array((record.jsonLine + "\n").utf8), name: name)
    }

    public func close() { closed = true }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], name: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw EdgePruneError(.io, "sink \(name): write failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }
}
