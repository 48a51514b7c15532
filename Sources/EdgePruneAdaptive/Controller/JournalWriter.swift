#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore
import Foundation

/// Appends controller decisions to a file as JSON lines (one object per line, keys sorted).
///
/// The file is opened with O_APPEND and each line goes out in one write(2), so a line is never
/// interleaved with another writer's and a crash leaves at most a missing last line, never a
/// torn one followed by more data. Safe to share between threads (the descriptor never changes;
/// the kernel serialises appends).
public final class JournalWriter: @unchecked Sendable {
    public let path: String
    private let fd: Int32
    private let encoder: JSONEncoder

    /// Opens (creating with mode 0644 when missing) `path` for appending.
    public init(path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EdgePruneError(.io, "cannot open journal '\(path)' for appending: \(String(cString: strerror(errno)))") }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw EdgePruneError(.io, "journal '\(path)' is not a regular file")
        }
        self.path = path
        self.fd = fd
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
    }

    deinit { close(fd) }

    /// One decision as one JSON line, in one write.
    public func append(_ decision: SwitchDecision) throws {
        var line: [UInt8]
        do {
            line = Array(try encoder.encode(decision))
        } catch {
            throw EdgePruneError(.input, "cannot encode a journal entry for '\(path)': \(error)")
        }
        line.append(UInt8(ascii: "\n"))
        let n: Int = line.withUnsafeBytes { buf in
            var n: Int
            repeat { n = write(fd, buf.baseAddress, buf.count) } while n < 0 && errno == EINTR
            return n
        }
        guard n >= 0 else { throw EdgePruneError(.io, "cannot append to journal '\(path)': \(String(cString: strerror(errno)))") }
        if n < line.count {
            // A short write (disk full, signal) leaves a partial line; finish it so the next line
            // starts clean, and report the failure if that is impossible.
            try line.withUnsafeBytes { buf in
                try FileIO.writeAll(fd, buf.baseAddress! + n, buf.count - n, path: path)
            }
        }
    }

    /// Reads a journal back; lines that do not decode (a torn last line) are skipped and counted.
    public static func read(path: String) throws -> (decisions: [SwitchDecision], skippedLines: Int) {
        let bytes = try FileIO.read(path)
        let decoder = JSONDecoder()
        var decisions: [SwitchDecision] = []
        var skipped = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            if let d = try? decoder.decode(SwitchDecision.self, from: Data(line)) { decisions.append(d) } else { skipped += 1 }
        }
        return (decisions, skipped)
    }
}
