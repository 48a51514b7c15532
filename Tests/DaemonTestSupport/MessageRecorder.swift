import EdgePruneDaemon
import EdgePruneMQTT
import Foundation
import XCTest

/// Messages a test client received, in order (thread-safe).
public final class MessageRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [MQTTMessage] = []

    public init() {}

    public func record(_ m: MQTTMessage) { lock.withLock { messages.append(m) } }

    public var all: [MQTTMessage] { lock.withLock { messages } }

    public func on(_ topic: String) -> [MQTTMessage] { all.filter { $0.topic == topic } }

    public func texts(on topic: String) -> [String] { on(topic).map { String(decoding: $0.payload, as: UTF8.self) } }

    public func removeAll() { lock.withLock { messages.removeAll() } }
}

/// Polls `condition` every 10 ms for up to `timeout` seconds; fails the test naming `what` on
/// timeout.
@discardableResult
public func waitUntil(_ what: @autoclosure () -> String, timeout: Double = 5, file: StaticString = #filePath,
               line: UInt = #line, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    if condition() { return true }
    XCTFail("timed out after \(timeout) s waiting for \(what())", file: file, line: line)
    return false
}

/// Decodes a reported-state message.
public func reportFields(_ m: MQTTMessage) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(m.payload))) as? [String: Any] ?? [:]
}

/// Loopback MQTT settings with a fast reconnect, for tests.
public func loopbackSettings(port: Int, tls: DaemonConfig.TLS? = nil, min: Double = 0.05, max: Double = 0.4) -> MQTTSettings {
    MQTTSettings(enabled: true, host: "127.0.0.1", port: port, tls: tls, keepaliveSeconds: 5,
                 reconnectMinSeconds: min, reconnectMaxSeconds: max)
}

/// A started client recording what it receives.
public func startRecordingClient(_ settings: MQTTSettings, id: String, subscribe filters: [String] = [], qos: Int = 1,
                                 will: MQTTMessage? = nil) throws -> (MQTTClient, MessageRecorder) {
    let recorder = MessageRecorder()
    let client = try MQTTClient(settings: settings, clientID: id, will: will)
    client.setHandlers(.init(onMessage: { recorder.record($0) }))
    for f in filters { try client.subscribe(f, qos: qos) }
    try client.start()
    return (client, recorder)
}
