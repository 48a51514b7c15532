#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// Samples from UDP datagrams on a bound address (127.0.0.1 by default: exposing a sensor
/// port beyond the board is the operator's explicit choice).
///
/// Payloads:
/// - `.text`: UTF-8 lines, one sample per line (values separated by commas, spaces, tabs or
///   semicolons); a datagram may hold several lines.
/// - `.float32LE`: raw little-endian IEEE-754 float32 values. With `channels` set, a datagram
///   holds one or more whole samples (its length a multiple of 4 * channels); without, the
///   whole datagram is one sample.
/// Datagrams that do not parse, have the wrong length or channel count, or hold non-finite
/// values are skipped and counted. Samples are stamped with the clock on receipt.
public final class UDPSource: SensorSource {
    public enum Payload: String, Sendable {
        case text
        case float32LE = "f32le"
    }

    public let name: String
    public private(set) var channelCount: Int?
    public private(set) var rejectedCount = 0
    public private(set) var datagrams = 0
    public let payload: Payload
    /// The port actually bound (useful when 0 asked the kernel for a free one).
    public let boundPort: UInt16
    private var fd: Int32
    private let clock: any SensorClock
    private var pending: [[Float]] = []
    private var pendingHead = 0
    private var datagram = [UInt8](repeating: 0, count: 65_536)

    public init(host: String = "127.0.0.1", port: UInt16, payload: Payload, channels: Int? = nil,
                clock: any SensorClock = MonotonicSensorClock()) throws {
        if let channels, channels < 1 { throw EdgePruneError(.input, "UDP source: channels must be at least 1, got \(channels)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw EdgePruneError(.input, "UDP source: '\(host)' is not an IPv4 address")
        }
        #if canImport(Glibc)
        let type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        let type = SOCK_DGRAM
        #endif
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { throw EdgePruneError(.io, "UDP source: cannot create a socket: \(String(cString: strerror(errno)))") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let why = String(cString: strerror(errno))
            Glibc.close(fd)
            throw EdgePruneError(.io, "UDP source: cannot bind \(host):\(port): \(why)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        boundPort = UInt16(bigEndian: actual.sin_port)
        self.fd = fd
        self.payload = payload
        channelCount = channels
        self.clock = clock
        name = "udp \(host):\(boundPort) (\(payload.rawValue))"
    }

    deinit { close() }

    public func read(timeout: Double) throws -> SensorReadResult {
        while true {
            if pendingHead < pending.count {
                let values = pending[pendingHead]
                pendingHead += 1
                return .sample(SensorSample(time: clock.now(), values: values))
            }
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
            guard fd >= 0 else { return .finished }
            guard try pollReadable(fd, timeout: timeout, what: name) else { return .timedOut }
            let n = datagram.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK { return .timedOut }
                throw EdgePruneError(.io, "\(name): receive failed: \(String(cString: strerror(errno)))")
            }
            datagrams += 1
            parse(n)
            if pending.isEmpty { return .timedOut }   // a rejected datagram: let the caller look at its clock
        }
    }

    private func parse(_ n: Int) {
        switch payload {
        case .text:
            let text = String(decoding: datagram[..<n], as: UTF8.self)
            for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
                let trimmed = line.trimmed(where: { $0.isWhitespace })
                if trimmed.isEmpty { continue }
                accept(SampleText.parse(trimmed))
            }
        case .float32LE:
            guard n > 0, n % 4 == 0 else { rejectedCount += 1; return }
            let count = n / 4
            let per = channelCount ?? count
            guard count % per == 0 else { rejectedCount += 1; return }
            var values = [Float](repeating: 0, count: count)
            datagram.withUnsafeBytes { raw in
                for i in 0..<count { values[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
            }
            guard values.allSatisfy(\.isFinite) else { rejectedCount += 1; return }
            for s in stride(from: 0, to: count, by: per) { accept(Array(values[s..<(s + per)])) }
        }
    }

    private func accept(_ values: [Float]?) {
        guard let values, values.count == (channelCount ?? values.count) else { rejectedCount += 1; return }
        channelCount = values.count
        pending.append(values)
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        pending.removeAll()
        pendingHead = 0
    }
}
