@testable import EdgePruneMQTT
import EdgePruneCore
import DaemonTestSupport
import Foundation
import XCTest

final class MQTTClientTests: XCTestCase {
    func testPublishSubscribeRoundTripAtEveryQoS() throws {
        let broker = try MosquittoBroker()
        try broker.start()
        let (sub, received) = try startRecordingClient(loopbackSettings(port: broker.port), id: "t-sub", subscribe: ["t/#"], qos: 2)
        defer { sub.stop() }
        let (pub, _) = try startRecordingClient(loopbackSettings(port: broker.port), id: "t-pub")
        defer { pub.stop() }
        waitUntil("both clients connected: \(broker.logTail())") { sub.isConnected && pub.isConnected }

        // A retained marker proves the subscription is active before the real messages go out.
        XCTAssertEqual(pub.publish(MQTTMessage(topic: "t/ready", payload: Array("1".utf8), qos: 1, retain: true)), .queued)
        waitUntil("the subscriber to see t/ready") { !received.on("t/ready").isEmpty }
        for qos in 0...2 {
            XCTAssertEqual(pub.publish(MQTTMessage(topic: "t/q\(qos)", payload: Array("qos \(qos)".utf8), qos: qos)), .queued)
        }
        XCTAssertEqual(pub.publish(MQTTMessage(topic: "t/empty", payload: [], qos: 1)), .queued)
        waitUntil("four messages on t/q0, t/q1, t/q2, t/empty") { received.all.count >= 5 }
        XCTAssertEqual(received.texts(on: "t/q0"), ["qos 0"])
        XCTAssertEqual(received.texts(on: "t/q1"), ["qos 1"])
        XCTAssertEqual(received.texts(on: "t/q2"), ["qos 2"])
        XCTAssertEqual(received.on("t/q2").first?.qos, 2)
        XCTAssertEqual(received.on("t/empty").first?.payload, [])
        XCTAssertEqual(pub.stats.published, 5)
        XCTAssertEqual(sub.stats.messagesReceived, 5)
    }

    func testPublishRefusalsAreImmediateAndCounted() throws {
        let broker = try MosquittoBroker()
        try broker.start()
        let client = try MQTTClient(settings: loopbackSettings(port: broker.port), clientID: "t-refuse")
        // Not started yet: nothing is queued.
        XCTAssertEqual(client.publish(MQTTMessage(topic: "a/b", payload: [1])), .notConnected)
        try client.start()
        defer { client.stop() }
        waitUntil("connected") { client.isConnected }
        guard case .failed(let why) = client.publish(MQTTMessage(topic: "a/#", payload: [1])) else {
            return XCTFail("a wildcard topic was accepted for publishing")
        }
        XCTAssertTrue(why.contains("a/#") && !why.contains("\n"), why)
        guard case .failed = client.publish(MQTTMessage(topic: "a/b", payload: [1], qos: 3)) else {
            return XCTFail("QoS 3 was accepted")
        }
        XCTAssertEqual(client.stats.publishFailures, 3)
        XCTAssertThrowsError(try client.subscribe("a/#/b")) { XCTAssertTrue("\($0)".contains("a/#/b")) }
    }

    func testSendQueueIsBoundedWhileTheNetworkLags() throws {
        let broker = try MosquittoBroker()
        try broker.start()
        let client = try MQTTClient(settings: loopbackSettings(port: broker.port), clientID: "t-bound", maxQueuedPublishes: 5)
        try client.start()
        defer { client.stop() }
        waitUntil("connected") { client.isConnected }
        // Stop the broker from reading: SIGSTOP, so QoS 1 messages are never acknowledged.
        // (The broker's process is ours; it is resumed below.)
        let pid = try XCTUnwrap(broker.pid)
        kill(pid, SIGSTOP)
        defer { kill(pid, SIGCONT) }
        var results: [MQTTPublishResult] = []
        for i in 0..<50 { results.append(client.publish(MQTTMessage(topic: "q/\(i)", payload: [UInt8](repeating: 7, count: 10), qos: 1))) }
        XCTAssertEqual(results.filter { $0 == .queued }.count, 5, "\(results)")
        XCTAssertEqual(results.filter { $0 == .queueFull }.count, 45)
    }

    func testReconnectsWithBackoffUntilTheBrokerAppearsThenAfterItRestarts() throws {
        let broker = try MosquittoBroker()
        let client = try MQTTClient(settings: loopbackSettings(port: broker.port), clientID: "t-late")
        try client.start()
        defer { client.stop() }
        // No broker yet: refused connections, retried, each failure one line naming the endpoint.
        waitUntil("two failed attempts") { client.stats.connectFailures >= 2 }
        let error = try XCTUnwrap(client.stats.lastError)
        XCTAssertTrue(error.contains("127.0.0.1:\(broker.port)") && error.contains("Connection refused"), error)
        XCTAssertFalse(error.contains("\n"))
        XCTAssertFalse(client.isConnected)

        try broker.start()
        waitUntil("connected once the broker is up: \(client.stats)") { client.isConnected }
        XCTAssertEqual(client.stats.connects, 1)

        try broker.restart()
        waitUntil("reconnected after the broker restart: \(client.stats)") { client.stats.connects == 2 && client.isConnected }
        XCTAssertEqual(client.stats.connectionLosses, 1)
        XCTAssertEqual(client.stats.reconnects, 1)
    }

    func testStopReturnsPromptlyDuringALongBackoff() throws {
        let port = try MosquittoBroker.freeLoopbackPort()
        let client = try MQTTClient(settings: loopbackSettings(port: port, min: 30, max: 60), clientID: "t-stop")
        try client.start()
        waitUntil("a failed attempt") { client.stats.connectFailures >= 1 }
        let t0 = Date()
        client.stop()
        XCTAssertLessThan(Date().timeIntervalSince(t0), 1.0, "stop waited for the 30 s back-off")
        XCTAssertThrowsError(try client.start(), "a stopped client restarted")
    }

    func testLastWillIsPublishedOnAbruptLossAndNotOnCleanStop() throws {
        let broker = try MosquittoBroker()
        try broker.start()
        let (watcher, seen) = try startRecordingClient(loopbackSettings(port: broker.port), id: "t-watch", subscribe: ["w/#"])
        defer { watcher.stop() }
        let will = MQTTMessage(topic: "w/state", payload: Array("gone".utf8), qos: 1, retain: true)
        let client = try MQTTClient(settings: loopbackSettings(port: broker.port), clientID: "t-will", will: will)
        try client.start()
        waitUntil("both connected") { client.isConnected && watcher.isConnected }

        client.dropConnectionForTesting()
        waitUntil("the will after the dropped connection") { seen.texts(on: "w/state") == ["gone"] }
        waitUntil("the client reconnected: \(client.stats)") { client.stats.connects == 2 && client.isConnected }

        seen.removeAll()
        client.stop()
        // A clean DISCONNECT discards the will: publish a marker after the stop and check nothing
        // arrived before it.
        XCTAssertEqual(watcher.publish(MQTTMessage(topic: "w/marker", payload: [1], qos: 1)), .queued)
        waitUntil("the marker") { !seen.on("w/marker").isEmpty }
        XCTAssertEqual(seen.on("w/state"), [], "the will was published on a clean stop")
    }

    func testConnectionRefusedByTheBrokerIsReportedWithItsReason() throws {
        let broker = try MosquittoBroker(allowAnonymous: false)
        try broker.start()
        let client = try MQTTClient(settings: loopbackSettings(port: broker.port), clientID: "t-anon")
        try client.start()
        defer { client.stop() }
        waitUntil("a refused attempt") { client.stats.connectFailures >= 1 }
        let error = try XCTUnwrap(client.stats.lastError)
        XCTAssertTrue(error.contains("refused the connection") && error.contains("not authori"), error)
        XCTAssertFalse(error.contains("\n"))
        XCTAssertFalse(client.isConnected)
    }
}
