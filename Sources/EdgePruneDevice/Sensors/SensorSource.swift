#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// One reading from a sensor: a time in seconds and one value per channel.
///
/// `time` is on the source's clock: the monotonic clock for sources that stamp on arrival
/// (stdin, UDP, IIO sysfs polling, replay), the kernel's event timestamp for GPIO edges, the
/// device's timestamp channel for buffered IIO. Windows carry it through so a consumer can
/// compute latency from the reading, not from the queue.
public struct SensorSample: Equatable, Sendable {
    public var time: Double
    public var values: [Float]

    public init(time: Double, values: [Float]) {
        self.time = time
        self.values = values
    }
}

/// What one `SensorSource.read(timeout:)` call produced.
public enum SensorReadResult: Equatable, Sendable {
    /// A sample.
    case sample(SensorSample)
    /// Nothing arrived within the timeout; call again.
    case timedOut
    /// The source has ended for good (end of file, end of a replay without looping).
    case finished
}

/// A producer of samples, read from one thread (the daemon's source loop).
///
/// `read(timeout:)` waits at most `timeout` seconds. It throws an `EdgePruneError` only when the
/// source cannot go on (device vanished, socket error); input it cannot understand (a garbled
/// line, a short datagram) is skipped and counted in `rejectedCount`, so a noisy sensor never
/// stops the daemon.
public protocol SensorSource: AnyObject {
    /// A short description for logs and /status, e.g. "udp 127.0.0.1:5005".
    var name: String { get }
    /// Values per sample when known before the first sample (nil: set by the first sample).
    var channelCount: Int? { get }
    /// Inputs skipped because they could not be parsed or had the wrong channel count.
    var rejectedCount: Int { get }
    func read(timeout: Double) throws -> SensorReadResult
    /// Releases the device, file or socket. Reading after `close()` returns `.finished`.
    func close()
}

/// Time as sources see it, injectable so replays and polling run on a virtual clock in tests.
public protocol SensorClock: Sendable {
    /// Seconds on a monotonic clock.
    func now() -> Double
    /// Waits `seconds` (no-op when not positive).
    func sleep(_ seconds: Double)
}

/// The process's monotonic clock and a real sleep.
public struct MonotonicSensorClock: SensorClock {
    public init() {}
    public func now() -> Double { DeviceClock.monotonicSeconds() }
    public func sleep(_ seconds: Double) {
        guard seconds > 0, seconds.isFinite else { return }
        var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var rest = timespec()
        while nanosleep(&ts, &rest) != 0 && errno == EINTR { ts = rest }
    }
}

/// `poll` on one descriptor for up to `timeout` seconds: true when it is readable (or has hung
/// up, so the following read sees the end), false on timeout or interruption.
func pollReadable(_ fd: Int32, timeout: Double, what: String) throws -> Bool {
    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let ms = timeout <= 0 ? 0 : Int32(min((timeout * 1000).rounded(.up), 2_000_000_000))
    let n = poll(&pfd, 1, ms)
    if n < 0 {
        if errno == EINTR { return false }
        throw EdgePruneError(.io, "\(what): poll failed: \(String(cString: strerror(errno)))")
    }
    return n > 0
}
