import EdgePruneCore

/// Publishes every `every`-th inference as a JSON message through `publish` (the MQTT client's
/// non-blocking publish: it counts what it cannot send). `{device}` in the topic is replaced by
/// the device id.
public final class PublishSink: InferenceSink {
    public let topic: String
    public let every: Int
    public var name: String { "mqtt \(topic)" }
    /// Messages handed to `publish`, and those it refused (disconnected, queue full).
    public private(set) var published = 0
    public private(set) var refused = 0
    private let publish: (String, [UInt8]) -> Bool
    private var seen = 0

    /// `publish(topic, payload)` returns false when the message could not be queued.
    public init(topic: String, device: String, every: Int = 1, publish: @escaping (String, [UInt8]) -> Bool) throws {
        guard every >= 1 else { throw EdgePruneError(.input, "mqtt sink: every must be >= 1, got \(every)") }
        let t = topic.split(separator: "{device}", omittingEmptySubsequences: false).joined(separator: device)
        guard !t.isEmpty, !t.contains("+"), !t.contains("#") else {
            throw EdgePruneError(.input, "mqtt sink: topic '\(topic)' must be non-empty without wildcards (+, #)")
        }
        self.topic = t
        self.every = every
        self.publish = publish
    }

    public func emit(_ record: InferenceRecord) throws {
        seen += 1
        guard seen % every == 0 else { return }
        if publish(topic, Array(record.jsonLine.utf8)) { published += 1 } else { refused += 1 }
    }

    public func close() {}
}
