#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// Samples from text lines on a file descriptor (stdin by default): one sample per line,
/// values separated by commas, spaces, tabs or semicolons. Lines that do not parse, have a
/// channel count other than the first good line's (or `channels`), or exceed `maxLineBytes`
/// are skipped and counted. Each sample is stamped with the clock when its line is read.
/// End of input finishes the source (a last line without a newline still counts).
public final class LineSource: SensorSource {
    public let name: String
    public private(set) var channelCount: Int?
    public private(set) var rejectedCount = 0
    public let maxLineBytes: Int
    private let fd: Int32
    private let ownsDescriptor: Bool
    private let clock: any SensorClock
    private var buffer: [UInt8] = []
    private var lines: [String] = []
    private var lineHead = 0
    private var atEnd = false
    private var closed = false
    private var discardingLongLine = false

    /// `ownsDescriptor`: close `fd` on `close()` (not for stdin).
    public init(fd: Int32 = 0, name: String = "stdin", channels: Int? = nil, maxLineBytes: Int = 65_536,
                ownsDescriptor: Bool = false, clock: any SensorClock = MonotonicSensorClock()) throws {
        if let channels, channels < 1 { throw EdgePruneError(.input, "\(name): channels must be at least 1, got \(channels)") }
        guard maxLineBytes >= 16 else { throw EdgePruneError(.input, "\(name): line limit must be at least 16 bytes") }
        self.fd = fd
        self.name = name
        channelCount = channels
        self.maxLineBytes = maxLineBytes
        self.ownsDescriptor = ownsDescriptor
        self.clock = clock
    }

    deinit { close() }

    public func read(timeout: Double) throws -> SensorReadResult {
        guard !closed else { return .finished }
        while true {
            while lineHead < lines.count {
                let line = lines[lineHead]
                lineHead += 1
                if let s = accept(line) { return .sample(s) }
            }
            lines.removeAll(keepingCapacity: true)
            lineHead = 0
            if atEnd { return .finished }
            guard try pollReadable(fd, timeout: timeout, what: name) else { return .timedOut }
            var chunk = [UInt8](repeating: 0, count: 16_384)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { return .timedOut }
                throw EdgePruneError(.io, "cannot read \(name): \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                atEnd = true
                if !buffer.isEmpty && !discardingLongLine { lines.append(String(decoding: buffer, as: UTF8.self)) }
                buffer.removeAll()
                continue
            }
            buffer += chunk[..<n]
            var complete = SampleText.takeLines(from: &buffer)
            if discardingLongLine, !complete.isEmpty {
                complete.removeFirst()          // the tail of the over-long line
                discardingLongLine = false
            }
            lines = complete.filter { line in
                if line.utf8.count > maxLineBytes { rejectedCount += 1; return false }
                return true
            }
            if buffer.count > maxLineBytes {
                // A line longer than the limit: count it once and skip to its newline.
                if !discardingLongLine { rejectedCount += 1 }
                discardingLongLine = true
                buffer.removeAll()
            }
            // Return to the caller at least once per read so timeouts stay honest.
            if lines.isEmpty { return .timedOut }
        }
    }

    private func accept(_ line: String) -> SensorSample? {
        let trimmed = line.trimmed(where: { $0.isWhitespace })
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return nil }
        guard let values = SampleText.parse(trimmed), values.count == (channelCount ?? values.count) else {
            rejectedCount += 1
            return nil
        }
        channelCount = values.count
        return SensorSample(time: clock.now(), values: values)
    }

    public func close() {
        guard !closed else { return }
        closed = true
        if ownsDescriptor { Glibc.close(fd) }
    }
}
