@testable import EdgePruneMQTT
import EdgePruneCore
import EdgePruneDaemon
import DaemonTestSupport
import Foundation
import XCTest

/// The fleet channel against a real broker: an operator client publishes signed envelopes
/// (retained, as `mosquitto_pub -r` would) and watches the device's topics; a fake daemon
/// records what reaches applyConfig.
final class FleetConfigChannelTests: XCTestCase {
    let key = FleetSigningKey()
    let device = "pi-07"
    let topics = FleetTopics(prefix: "edgeprune", device: "pi-07", groups: ["kitchen"])
    let overlay = "budgets:\n  latency_p95_ms: 4\n"

    private var broker: MosquittoBroker!
    private var channel: FleetConfigChannel?
    private var operatorClient: MQTTClient?
    private var seen = MessageRecorder()

    override func setUpWithError() throws {
        broker = try MosquittoBroker(persistence: true)
        try broker.start()
    }

    override func tearDown() {
        channel?.stop()
        operatorClient?.stop()
        broker?.stop()
        broker = nil
    }

    // MARK: Helpers

    private func startChannel(control: FakeDaemonControl, groups: Set<String> = ["kitchen"]) throws -> FleetConfigChannel {
        var settings = loopbackSettings(port: broker.port)
        settings.topicPrefix = "edgeprune"
        let ch = try FleetConfigChannel(settings: settings, identity: DeviceIdentity(device: device, groups: groups),
                                        trustedKeys: [key.publicKey], control: control)
        channel = ch
        try ch.start()
        waitUntil("the channel connected: \(ch.clientStats)") { ch.isConnected }
        return ch
    }

    /// The operator: watches everything under the device's topics, publishes envelopes.
    private func startOperator() throws -> MQTTClient {
        let (client, recorder) = try startRecordingClient(loopbackSettings(port: broker.port), id: "operator",
                                                          subscribe: ["edgeprune/devices/\(device)/#"])
        seen = recorder
        operatorClient = client
        waitUntil("the operator connected") { client.isConnected }
        return client
    }

    private func signed(_ target: ConfigTarget? = nil, config: String? = nil, version: UInt64,
                        by signer: FleetSigningKey? = nil) throws -> [UInt8] {
        try ConfigSigner.sign(config: config ?? overlay, target: target ?? .device(device), version: version,
                              key: signer ?? key).bytes
    }

    private func publishDesired(_ payload: [UInt8], on topic: String? = nil) throws {
        let op = try XCTUnwrap(operatorClient)
        XCTAssertEqual(op.publish(MQTTMessage(topic: topic ?? topics.deviceDesired, payload: payload, qos: 1, retain: true)), .queued)
    }

    private var reports: [[String: Any]] { seen.on(topics.reported).map(reportFields) }

    /// Waits for the n-th reported state (1-based) since the operator subscribed.
    @discardableResult
    private func waitForReport(_ n: Int, file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
        waitUntil("reported state #\(n) on \(topics.reported) (have \(seen.texts(on: topics.reported)))",
                  file: file, line: line) { reports.count >= n }
        return reports.count >= n ? reports[n - 1] : [:]
    }

    private func assertRejected(_ payload: [UInt8], code: String, control: FakeDaemonControl, version: UInt64 = 0,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let ch = try startChannel(control: control)
        _ = try startOperator()
        try publishDesired(payload)
        let r = waitForReport(1, file: file, line: line)
        XCTAssertEqual(r["status"] as? String, "rejected", "\(r)", file: file, line: line)
        XCTAssertEqual(r["code"] as? String, code, "\(r)", file: file, line: line)
        XCTAssertEqual((r["version"] as? NSNumber)?.uint64Value, version, "\(r)", file: file, line: line)
        let reason = r["reason"] as? String ?? ""
        XCTAssertTrue(reason.hasPrefix("config rejected (") && !reason.contains("\n"), reason, file: file, line: line)
        XCTAssertEqual(r["topic"] as? String, topics.deviceDesired, file: file, line: line)
        XCTAssertEqual(control.calls, [], "the daemon was asked to apply a rejected config", file: file, line: line)
        XCTAssertEqual(control.configVersion(), version, file: file, line: line)
        XCTAssertEqual(ch.counters.rejected, [code: 1], file: file, line: line)
        XCTAssertEqual(ch.counters.applied, 0, file: file, line: line)
        XCTAssertEqual(ch.lastReport?.code, code, file: file, line: line)
    }

    // MARK: Applying

    func testValidDeviceConfigIsAppliedAndReported() throws {
        let control = FakeDaemonControl(version: 4)
        let ch = try startChannel(control: control)
        _ = try startOperator()
        try publishDesired(signed(version: 5))

        let r = waitForReport(1)
        XCTAssertEqual(r["status"] as? String, "applied", "\(r)")
        XCTAssertEqual((r["version"] as? NSNumber)?.uint64Value, 5)
        XCTAssertEqual(r["detail"] as? String, "config version 5")
        XCTAssertNil(r["code"])
        XCTAssertEqual(r["topic"] as? String, topics.deviceDesired)
        let time = try XCTUnwrap(r["time"] as? String)
        XCTAssertNotNil(time.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#, options: .regularExpression), time)
        XCTAssertEqual(control.calls, [.init(document: overlay, version: 5, origin: .mqtt)])

        let c = ch.counters
        XCTAssertEqual(c.received, 1)
        XCTAssertEqual(c.applied, 1)
        XCTAssertEqual(c.rejectedTotal, 0)

        // The report is retained: a newcomer reads it.
        let (late, lateSeen) = try startRecordingClient(loopbackSettings(port: broker.port), id: "late", subscribe: [topics.reported])
        defer { late.stop() }
        waitUntil("the retained report") { !lateSeen.on(topics.reported).isEmpty }
        XCTAssertEqual(lateSeen.on(topics.reported).first.map(reportFields)?["status"] as? String, "applied")
        XCTAssertEqual(lateSeen.on(topics.reported).first?.retain, true)
    }

    func testGroupConfigIsApplied() throws {
        let control = FakeDaemonControl()
        let ch = try startChannel(control: control)
        _ = try startOperator()
        try publishDesired(signed(.group("kitchen"), version: 9), on: topics.groupDesired("kitchen"))
        let r = waitForReport(1)
        XCTAssertEqual(r["status"] as? String, "applied", "\(r)")
        XCTAssertEqual((r["version"] as? NSNumber)?.uint64Value, 9)
        XCTAssertEqual(r["topic"] as? String, "edgeprune/groups/kitchen/config/desired")
        XCTAssertEqual(control.calls.map(\.version), [9])
        XCTAssertEqual(ch.counters.applied, 1)
    }

    func testNewerConfigsApplyInTurn() throws {
        let control = FakeDaemonControl()
        _ = try startChannel(control: control)
        _ = try startOperator()
        try publishDesired(signed(version: 1))
        waitForReport(1)
        // As `mosquitto_pub -f` sends the file `edgeprune sign` wrote: with its final newline.
        try publishDesired(signed(config: "log:\n  level: debug\n", version: 2) + [0x0A])
        let r = waitForReport(2)
        XCTAssertEqual((r["version"] as? NSNumber)?.uint64Value, 2)
        XCTAssertEqual(control.calls.map(\.version), [1, 2])
        XCTAssertEqual(control.calls.last?.document, "log:\n  level: debug\n")
    }

    // MARK: Rejections (nothing reaches the daemon)

    func testUnsignedConfigIsRejected() throws {
        try assertRejected(Array(overlay.utf8), code: "unsigned", control: FakeDaemonControl())
    }

    func testBadlySignedConfigIsRejected() throws {
        let good = try ConfigSigner.sign(config: overlay, target: .device(device), version: 5, key: key)
        var sig = good.signature
        sig[10] ^= 0x01
        let bad = SignedConfigEnvelope(keyID: good.keyID, payload: good.payload, signature: sig)
        try assertRejected(bad.bytes, code: "bad-signature", control: FakeDaemonControl())
    }

    func testConfigSignedWithAnUnknownKeyIsRejected() throws {
        try assertRejected(signed(version: 5, by: FleetSigningKey()), code: "unknown-key", control: FakeDaemonControl())
    }

    func testConfigForAnotherDeviceIsRejected() throws {
        // Validly signed, but for pi-08, and published on pi-07's topic.
        try assertRejected(signed(.device("pi-08"), version: 5), code: "wrong-target", control: FakeDaemonControl())
    }

    func testConfigForAGroupTheDeviceIsNotInIsRejected() throws {
        try assertRejected(signed(.group("garage"), version: 5), code: "wrong-target", control: FakeDaemonControl())
    }

    func testOlderVersionIsRejectedAsRollback() throws {
        try assertRejected(signed(version: 5), code: "rollback", control: FakeDaemonControl(version: 10), version: 10)
    }

    func testMalformedEnvelopeIsRejected() throws {
        try assertRejected(Array(#"{"signature":"AAAA","keyId":"x","payload":"%%%"}"#.utf8), code: "malformed",
                           control: FakeDaemonControl())
    }

    func testConfigTheDaemonRefusesIsReportedAsInvalid() throws {
        let control = FakeDaemonControl(version: 3)
        control.outcome = .rejected("budgets.latency_p95_ms: must be a positive number, got -1")
        let ch = try startChannel(control: control)
        _ = try startOperator()
        try publishDesired(signed(config: "budgets:\n  latency_p95_ms: -1\n", version: 4))
        let r = waitForReport(1)
        XCTAssertEqual(r["status"] as? String, "rejected", "\(r)")
        XCTAssertEqual(r["code"] as? String, "invalid")
        XCTAssertEqual((r["version"] as? NSNumber)?.uint64Value, 3, "the version in force, not the refused one")
        XCTAssertEqual(r["reason"] as? String,
                       "config version 4 not applied (invalid): budgets.latency_p95_ms: must be a positive number, got -1")
        XCTAssertEqual(control.calls.count, 1)
        XCTAssertEqual(ch.counters.rejected, ["invalid": 1])

        control.outcome = .failed("cannot persist the state: No space left on device")
        try publishDesired(signed(version: 5))
        let r2 = waitForReport(2)
        XCTAssertEqual(r2["code"] as? String, "failed", "\(r2)")
        XCTAssertEqual((r2["version"] as? NSNumber)?.uint64Value, 3)
    }

    func testClearedDesiredTopicIsIgnored() throws {
        let control = FakeDaemonControl()
        let ch = try startChannel(control: control)
        _ = try startOperator()
        try publishDesired([])  // mosquitto_pub -r -n: clears the retained message
        waitUntil("the clear counted") { ch.counters.cleared == 1 }
        try publishDesired(signed(version: 1))
        let r = waitForReport(1)  // the first report is the config's: the clear reported nothing
        XCTAssertEqual(r["status"] as? String, "applied")
        XCTAssertEqual(ch.counters.received, 1)
    }

    // MARK: Availability, reconnects, the sink

    func testAvailabilityOnlineThenWillOnAbruptLossThenOfflineOnStop() throws {
        let control = FakeDaemonControl()
        _ = try startOperator()
        let ch = try startChannel(control: control)
        waitUntil("online (have \(seen.texts(on: topics.availability)))") { seen.texts(on: topics.availability).last == "online" }

        ch.client.dropConnectionForTesting()
        waitUntil("the will 'offline', then 'online' after the reconnect (have \(seen.texts(on: topics.availability)))") {
            withoutRepeats(seen.texts(on: topics.availability)).count >= 3
        }
        // QoS 1 is at-least-once: an 'online' not yet acknowledged when the socket died is sent
        // again in the new session, so compare without repeats.
        XCTAssertEqual(withoutRepeats(seen.texts(on: topics.availability)), ["online", "offline", "online"])
        XCTAssertEqual(ch.counters.reconnects, 1)
        XCTAssertEqual(ch.counters.connectionLosses, 1)

        ch.stop()
        waitUntil("'offline' on clean stop") { seen.texts(on: topics.availability).last == "offline" }
        XCTAssertFalse(ch.counters.connected)
        // Retained: a newcomer sees the device offline.
        let (late, lateSeen) = try startRecordingClient(loopbackSettings(port: broker.port), id: "late", subscribe: [topics.availability])
        defer { late.stop() }
        waitUntil("the retained availability") { !lateSeen.on(topics.availability).isEmpty }
        XCTAssertEqual(lateSeen.texts(on: topics.availability), ["offline"])
    }

    func testBrokerRestartReconnectsResubscribesAndDoesNotReapplyTheRetainedConfig() throws {
        let control = FakeDaemonControl()
        let ch = try startChannel(control: control)
        _ = try startOperator()
        try publishDesired(signed(.group("kitchen"), version: 3), on: topics.groupDesired("kitchen"))
        waitForReport(1)
        XCTAssertEqual(control.calls.map(\.version), [3])

        // The retained envelope survives the restart (persistence on, as on a real broker).
        broker.stop()
        seen.removeAll()
        try broker.start()
        waitUntil("the channel reconnected: \(ch.clientStats)") { ch.counters.reconnects == 1 && ch.isConnected }
        // The retained v3 is the config in force: counted as in sync, not applied again, and no
        // report overwrites the retained "applied".
        waitUntil("the retained v3 seen again (\(ch.counters))") { ch.counters.inSync == 1 }
        XCTAssertEqual(control.calls.map(\.version), [3], "the retained config was applied again")
        XCTAssertEqual(ch.counters.rejected, [:])
        XCTAssertFalse(reports.contains { $0["status"] as? String == "rejected" }, "\(reports)")

        // Subscriptions are back: a newer config applies.
        waitUntil("the operator reconnected") { operatorClient?.isConnected == true }
        try publishDesired(signed(version: 4))
        waitUntil("version 4 applied") { control.calls.map(\.version) == [3, 4] }
        waitUntil("the report of v4") { reports.last?["status"] as? String == "applied" && (reports.last?["version"] as? NSNumber)?.uint64Value == 4 }
    }

    func testSinkPublishArrivesAndDropsAreCountedWhenDisconnected() throws {
        let control = FakeDaemonControl()
        var settings = loopbackSettings(port: broker.port)
        settings.topicPrefix = "edgeprune"
        let idle = try FleetConfigChannel(settings: settings, identity: DeviceIdentity(device: "pi-09"),
                                          trustedKeys: [key.publicKey], control: control)
        XCTAssertFalse(idle.publish(topic: "edgeprune/devices/pi-09/inference", payload: [1], qos: 0), "published before start")
        XCTAssertEqual(idle.counters.sinkDropped, 1)

        _ = try startOperator()
        let ch = try startChannel(control: control)
        // Seeing the retained 'online' proves the operator's subscription is active.
        waitUntil("online") { seen.texts(on: topics.availability).last == "online" }
        let line = Array(#"{"id":1,"class":2}"#.utf8)
        XCTAssertTrue(ch.publish(topic: topics.expand("{prefix}/devices/{device}/inference"), payload: line, qos: 1))
        waitUntil("the inference message") { !seen.on(topics.inference).isEmpty }
        XCTAssertEqual(seen.on(topics.inference).first?.payload, line)
        XCTAssertEqual(ch.counters.sinkPublished, 1)

        broker.stop()
        waitUntil("the channel noticed the broker is gone") { !ch.isConnected }
        XCTAssertFalse(ch.publish(topic: topics.inference, payload: line, qos: 0))
        XCTAssertEqual(ch.counters.sinkDropped, 1)
        XCTAssertEqual(control.calls, [], "nothing applied while offline")
    }

    // MARK: Construction

    func testInvalidIdentityAndKeysAreRefusedNamingTheKey() throws {
        let control = FakeDaemonControl()
        let settings = loopbackSettings(port: broker.port)
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "accepted" } catch { return "\(error)" }
        }
        let badDevice = message {
            _ = try FleetConfigChannel(settings: settings, identity: DeviceIdentity(device: "pi/07"), trustedKeys: [key.publicKey], control: control)
        }
        XCTAssertTrue(badDevice.contains("device.id") && badDevice.contains("pi/07"), badDevice)
        let badGroup = message {
            _ = try FleetConfigChannel(settings: settings, identity: DeviceIdentity(device: "pi-07", groups: ["ok", "bad#"]), trustedKeys: [key.publicKey], control: control)
        }
        XCTAssertTrue(badGroup.contains("device.groups") && badGroup.contains("'bad#'"), badGroup)
        let noKeys = message {
            _ = try FleetConfigChannel(settings: settings, identity: DeviceIdentity(device: "pi-07"), control: control)
        }
        XCTAssertTrue(noKeys.contains("mqtt.fleet_keys"), noKeys)
        var withMissingKey = settings
        withMissingKey.fleetKeys = [broker.directory + "/nope.pub"]
        let m = message { _ = try FleetConfigChannel(settings: withMissingKey, identity: DeviceIdentity(device: "pi-07"), control: control) }
        XCTAssertTrue(m.contains("mqtt.fleet_keys[0]") && m.contains("nope.pub"), m)

        // A key file that loads.
        let path = broker.directory + "/fleet.pub"
        try key.publicKey.pem.write(toFile: path, atomically: true, encoding: .utf8)
        var withKey = settings
        withKey.fleetKeys = [path]
        let ch = try FleetConfigChannel(settings: withKey, identity: DeviceIdentity(device: "pi-07"), control: control)
        XCTAssertEqual(ch.clientID, "edgeprune-pi-07")
        XCTAssertEqual(ch.topics.desired, ["edgeprune/devices/pi-07/config/desired"])
    }
}

/// `a a b a a` → `a b a`.
func withoutRepeats(_ xs: [String]) -> [String] {
    xs.reduce(into: []) { out, x in if out.last != x { out.append(x) } }
}
