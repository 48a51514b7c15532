import EdgePruneCore

/// Replays recorded samples (a .npy array or a CSV file) at a fixed rate, for demos, soak
/// tests and end-to-end tests.
///
/// Sample i is due at start + i / rate (start: the first read); `read(timeout:)` sleeps until
/// it is due. A consumer that falls behind gets the overdue samples back to back: a replay
/// never skips, so drops downstream are the queue's, and counted there. `rate` nil replays as
/// fast as the consumer reads. With `loop`, the recording starts over at the end; times keep
/// increasing.
public final class ReplaySource: SensorSource {
    public let name: String
    public let channelCount: Int?
    public let rejectedCount = 0
    public let rate: Double?
    public let loop: Bool
    /// Number of recorded samples.
    public let count: Int
    private let values: [Float]
    private let channels: Int
    private let clock: any SensorClock
    private var start: Double?
    private var emitted = 0
    private var closed = false

    /// `values`: count * channels values, sample after sample.
    public init(name: String, values: [Float], channels: Int, rate: Double?, loop: Bool = false,
                clock: any SensorClock = MonotonicSensorClock()) throws {
        guard channels >= 1 else { throw EdgePruneError(.input, "replay '\(name)': channels must be at least 1") }
        guard !values.isEmpty, values.count % channels == 0 else {
            throw EdgePruneError(.input, "replay '\(name)': \(values.count) values do not make whole samples of \(channels) channels")
        }
        if let rate, !(rate.isFinite && rate > 0) {
            throw EdgePruneError(.input, "replay '\(name)': rate must be a positive number of samples per second, got \(rate)")
        }
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw EdgePruneError(.input, "replay '\(name)': sample \(i / channels) channel \(i % channels) is \(values[i]), not a finite number")
        }
        self.name = "replay \(name)" + (rate.map { " at \($0) Hz" } ?? "")
        self.values = values
        self.channels = channels
        channelCount = channels
        count = values.count / channels
        self.rate = rate
        self.loop = loop
        self.clock = clock
    }

    /// A float .npy array: shape [N] is N one-channel samples, [N, d1, d2...] is N samples of
    /// d1*d2*... values (a recorded window per row works too).
    public static func npy(_ path: String, rate: Double?, loop: Bool = false,
                           clock: any SensorClock = MonotonicSensorClock()) throws -> ReplaySource {
        let t = try NPY.read(path)
        guard t.dtype == .float32 else {
            throw EdgePruneError(.format, "'\(path)': replay needs a float array, got \(t.dtype)")
        }
        guard let n = t.shape.first, n > 0 else { throw EdgePruneError(.format, "'\(path)': replay needs at least one sample, shape is \(t.shape)") }
        let channels = t.shape.dropFirst().reduce(1, *)
        guard channels > 0 else { throw EdgePruneError(.format, "'\(path)': shape \(t.shape) has samples of no values") }
        let p = t.pointer(as: Float.self)
        let values = Array(UnsafeBufferPointer(start: p, count: n * channels))
        return try ReplaySource(name: path, values: values, channels: channels, rate: rate, loop: loop, clock: clock)
    }

    /// A CSV file: one sample per line, values separated by commas, spaces, tabs or
    /// semicolons; blank lines and lines starting with '#' are skipped; a first line that is
    /// not numeric is a header. Every row must have the same number of values.
    public static func csv(_ path: String, rate: Double?, loop: Bool = false,
                           clock: any SensorClock = MonotonicSensorClock()) throws -> ReplaySource {
        let text = String(decoding: try FileIO.read(path, maxBytes: 1 << 30), as: UTF8.self)
        var values: [Float] = []
        var channels: Int?
        var sawData = false
        for (i, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let trimmed = line.trimmed(where: { $0.isWhitespace })
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let row = SampleText.parse(trimmed) else {
                if !sawData { sawData = true; continue }   // header
                let bad = SampleText.fields(trimmed).first { Float($0).map { !$0.isFinite } ?? true } ?? ""
                throw EdgePruneError(.format, "'\(path)' line \(i + 1): '\(bad.prefix(30))' is not a finite number")
            }
            sawData = true
            if let c = channels, c != row.count {
                throw EdgePruneError(.format, "'\(path)' line \(i + 1): \(row.count) values, earlier rows have \(c)")
            }
            channels = row.count
            values += row
        }
        guard let channels else { throw EdgePruneError(.format, "'\(path)': no samples") }
        return try ReplaySource(name: path, values: values, channels: channels, rate: rate, loop: loop, clock: clock)
    }

    public func read(timeout: Double) throws -> SensorReadResult {
        guard !closed else { return .finished }
        guard loop || emitted < count else { return .finished }
        let now = clock.now()
        if start == nil { start = now }
        var due = now
        if let rate {
            due = start! + Double(emitted) / rate
            if due - now > timeout {
                clock.sleep(timeout)
                return .timedOut
            }
            clock.sleep(due - now)
        }
        let i = emitted % count
        emitted += 1
        return .sample(SensorSample(time: due, values: Array(values[(i * channels)..<((i + 1) * channels)])))
    }

    public func close() { closed = true }
}
