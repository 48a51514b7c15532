import DaemonTestSupport
import EdgePruneDaemon
import EdgePruneMQTT
import Foundation
import XCTest

/// The real daemon against a real Mosquitto broker: signed fleet configs apply, unsigned, badly
/// signed and older ones are rejected and reported without changing anything, availability
/// follows the daemon, and a restart does not re-apply the retained config.
final class ServeMQTTEndToEndTests: XCTestCase {
    func testFleetConfigOverMQTTWithARealBroker() async throws {
        let broker = try MosquittoBroker(persistence: false)
        try broker.start()
        defer { broker.stop() }
        let key = FleetSigningKey()
        let d = try DaemonHarness(tag: "serve-mqtt")
        let pub = d.dir.appendingPathComponent("fleet.pub").path
        try key.publicKey.pem.write(toFile: pub, atomically: true, encoding: .utf8)
        try d.writeConfig(model: try DaemonHarness.ladderModel("0.5,0.8"), extra: """
            budgets: {latency_p95_ms: 5}
            mqtt: {enabled: true, host: 127.0.0.1, port: \(broker.port), fleet_keys: [\(pub)], reconnect_min_seconds: 0.2, reconnect_max_seconds: 1}
            """)

        let (op, seen) = try startRecordingClient(loopbackSettings(port: broker.port), id: "operator",
                                                  subscribe: ["edgeprune/devices/e2e-01/#"])
        defer { op.stop() }
        try await d.start()
        let availability = "edgeprune/devices/e2e-01/availability"
        let reported = "edgeprune/devices/e2e-01/config/reported"
        let desired = "edgeprune/devices/e2e-01/config/desired"
        XCTAssertTrue(waitUntil("online", timeout: 10) { seen.texts(on: availability).last == "online" })

        func publish(_ bytes: [UInt8]) { _ = op.publish(MQTTMessage(topic: desired, payload: bytes, qos: 1, retain: true)) }
        func report(after count: Int) -> [String: Any]? {
            let all = seen.on(reported)
            return all.count > count ? reportFields(all.last!) : nil
        }
        func budget() async throws -> Double? {
            (try await d.status()["budgets"] as? [String: Any])?["latency_p95_ms"] as? Double
        }

        // A signed config with version 5 applies.
        var n = seen.on(reported).count
        publish(try ConfigSigner.sign(config: "budgets: {latency_p95_ms: 6}\n", target: .device("e2e-01"), version: 5, key: key).bytes)
        XCTAssertTrue(waitUntil("applied report", timeout: 10) { report(after: n)?["status"] as? String == "applied" })
        XCTAssertEqual(report(after: n)?["version"] as? Int, 5)
        var status = try await d.status()
        XCTAssertEqual(status["config_version"] as? Int, 5)
        let applied = try await budget()
        XCTAssertEqual(applied, 6)

        // Unsigned, badly signed, older: rejected with their codes; nothing changes.
        var bad = try ConfigSigner.sign(config: "budgets: {latency_p95_ms: 9}\n", target: .device("e2e-01"), version: 7, key: key)
        var signature = bad.signature
        signature[0] ^= 1
        bad = SignedConfigEnvelope(keyID: bad.keyID, payload: bad.payload, signature: signature)
        let cases: [(String, [UInt8])] = [
            ("unsigned", Array("budgets: {latency_p95_ms: 9}\n".utf8)),
            ("bad-signature", bad.bytes),
            ("rollback", try ConfigSigner.sign(config: "budgets: {latency_p95_ms: 9}\n", target: .device("e2e-01"), version: 3, key: key).bytes),
        ]
        for (code, bytes) in cases {
            n = seen.on(reported).count
            publish(bytes)
            XCTAssertTrue(waitUntil("\(code) report", timeout: 10) { report(after: n) != nil })
            XCTAssertEqual(report(after: n)?["status"] as? String, "rejected", code)
            XCTAssertEqual(report(after: n)?["code"] as? String, code)
            status = try await d.status()
            XCTAssertEqual(status["config_version"] as? Int, 5, code)
            let unchanged = try await budget()
            XCTAssertEqual(unchanged, 6, code)
        }

        // A graceful stop says offline; a restart keeps version 5 and does not re-apply the
        // retained (older) desired config.
        XCTAssertEqual(d.terminate(), 0, d.logTail())
        XCTAssertTrue(waitUntil("offline", timeout: 10) { seen.texts(on: availability).last == "offline" })
        try await d.start()
        XCTAssertTrue(waitUntil("online again", timeout: 10) { seen.texts(on: availability).last == "online" })
        status = try await d.status()
        XCTAssertEqual(status["config_version"] as? Int, 5)
        let restored = try await budget()
        XCTAssertEqual(restored, 6)

        // SIGKILL: the broker publishes the last will.
        d.kill9()
        XCTAssertTrue(waitUntil("will: offline", timeout: 20) { seen.texts(on: availability).last == "offline" })
    }
}
