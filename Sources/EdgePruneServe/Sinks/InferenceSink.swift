#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// What the daemon says about one inference, for its sinks.
public struct InferenceRecord: Sendable, Equatable {
    /// The inference id (the key for POST /feedback).
    public var id: UInt64
    /// Wall-clock time of the result, seconds since the Unix epoch.
    public var time: Double
    /// Sequence number of the window that was classified.
    public var window: UInt64
    public var level: Int
    public var predicted: Int
    /// The winning class's softmax probability.
    public var confidence: Float
    public var latencyMs: Double

    public init(id: UInt64, time: Double, window: UInt64, level: Int, predicted: Int, confidence: Float, latencyMs: Double) {
        self.id = id
        self.time = time
        self.window = window
        self.level = level
        self.predicted = predicted
        self.confidence = confidence
        self.latencyMs = latencyMs
    }

    /// One JSON object on one line (no trailing newline). Built by hand: this runs for every
    /// inference, and the fields are numbers only.
    public var jsonLine: String {
        "{\"id\":\(id),\"time\":\(Self.fixed(time, 6)),\"window\":\(window),\"level\":\(level),\"class\":\(predicted),"
            + "\"confidence\":\(Self.fixed(Double(confidence), 4)),\"latency_ms\":\(Self.fixed(latencyMs, 4))}"
    }

    static func fixed(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return "null" }
        var buffer = [CChar](repeating: 0, count: 48)
        _ = withVaList([v]) { vsnprintf(&buffer, buffer.count, "%.\(digits)f", $0) }
        return String(cString: buffer)
    }

    /// Wall-clock seconds now.
    public static func wallClock() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}

/// Where inference results go. Called on the inference thread only, in order. A sink that fails
/// throws; the daemon counts the error per sink and goes on (one broken sink never stops the
/// others or the inference loop).
public protocol InferenceSink: AnyObject {
    /// A short description for logs and /status, e.g. "file /var/log/edgeprune/inferences.jsonl".
    var name: String { get }
    func emit(_ record: InferenceRecord) throws
    /// Flushes and releases what the sink holds; emit after close is an error.
    func close()
}
