import EdgePruneCore

/// How a window's values are laid out in memory.
public enum WindowLayout: String, Sendable {
    /// values[t * channels + c]: one frame after another, the layout of an MLP input [1, T*C]
    /// or a sequence model [1, T, C].
    case timeMajor = "time-major"
    /// values[c * frames + t]: one channel after another, the layout of a 1-D CNN input [1, C, T].
    case channelMajor = "channel-major"
}

/// A window of `frames` consecutive samples of `channels` values.
public struct SensorWindow: Equatable, Sendable {
    /// 0, 1, 2 ... in the order the windower produced them (gaps show windows dropped later).
    public var sequence: UInt64
    /// Times of the first and the last sample in the window.
    public var startTime: Double
    public var endTime: Double
    public var frames: Int
    public var channels: Int
    public var layout: WindowLayout
    /// frames * channels values in `layout` order.
    public var values: [Float]

    public init(sequence: UInt64, startTime: Double, endTime: Double, frames: Int, channels: Int,
                layout: WindowLayout, values: [Float]) {
        self.sequence = sequence
        self.startTime = startTime
        self.endTime = endTime
        self.frames = frames
        self.channels = channels
        self.layout = layout
        self.values = values
    }

    /// The value of channel `c` at frame `t`, whatever the layout.
    public func value(frame t: Int, channel c: Int) -> Float {
        layout == .timeMajor ? values[t * channels + c] : values[c * frames + t]
    }
}

/// Cuts a sample stream into windows of `size` samples, one every `hop` samples.
///
/// The first window ends at sample size-1, the k-th at size-1 + k*hop. hop < size gives
/// overlapping windows (size=50, hop=25: half overlap), hop == size back-to-back windows,
/// hop > size skips hop-size samples between windows. Samples are kept in a ring of `size`
/// frames, so memory does not grow with the stream.
public final class Windower {
    public let size: Int
    public let hop: Int
    public let channels: Int
    public let layout: WindowLayout
    private var ring: [Float]
    private var times: [Double]
    private var head = 0          // ring slot the next sample goes to
    private var filled = 0
    private var untilNext: Int
    private var nextSequence: UInt64 = 0

    public init(size: Int, hop: Int, channels: Int, layout: WindowLayout = .timeMajor) throws {
        guard size >= 1 else { throw EdgePruneError(.input, "window size must be at least 1, got \(size)") }
        guard hop >= 1 else { throw EdgePruneError(.input, "window hop must be at least 1, got \(hop)") }
        guard channels >= 1 else { throw EdgePruneError(.input, "window channels must be at least 1, got \(channels)") }
        let (n, o) = size.multipliedReportingOverflow(by: channels)
        guard !o, n <= 1 << 24 else { throw EdgePruneError(.limit, "window of \(size) x \(channels) values is over the 16M-value limit") }
        self.size = size
        self.hop = hop
        self.channels = channels
        self.layout = layout
        ring = [Float](repeating: 0, count: n)
        times = [Double](repeating: 0, count: size)
        untilNext = size
    }

    /// Adds a sample; returns the window it completes, if any. A sample with the wrong number
    /// of values throws and leaves the windower unchanged.
    public func append(_ sample: SensorSample) throws -> SensorWindow? {
        guard sample.values.count == channels else {
            throw EdgePruneError(.input, "sample has \(sample.values.count) values, the window expects \(channels) channels")
        }
        let base = head * channels
        for c in 0..<channels { ring[base + c] = sample.values[c] }
        times[head] = sample.time
        head = (head + 1) % size
        filled = min(filled + 1, size)
        untilNext -= 1
        guard untilNext == 0 else { return nil }
        untilNext = hop
        return makeWindow()
    }

    /// Forgets buffered samples (after a gap in the stream); the next window needs `size` new samples.
    public func reset() {
        head = 0
        filled = 0
        untilNext = size
    }

    private func makeWindow() -> SensorWindow {
        // The oldest sample is at `head` (the ring is full when a window completes).
        var values = [Float](repeating: 0, count: size * channels)
        for t in 0..<size {
            let slot = (head + t) % size
            for c in 0..<channels {
                let v = ring[slot * channels + c]
                if layout == .timeMajor { values[t * channels + c] = v } else { values[c * size + t] = v }
            }
        }
        let w = SensorWindow(sequence: nextSequence, startTime: times[head], endTime: times[(head + size - 1) % size],
                             frames: size, channels: channels, layout: layout, values: values)
        nextSequence += 1
        return w
    }
}
