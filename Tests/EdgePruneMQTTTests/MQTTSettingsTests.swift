@testable import EdgePruneMQTT
import EdgePruneCore
import DaemonTestSupport
import Foundation
import XCTest

final class MQTTSettingsTests: XCTestCase {
    private func problem(_ change: (inout MQTTSettings) -> Void) -> String {
        var s = MQTTSettings()
        change(&s)
        do {
            try s.validate()
            return "valid"
        } catch {
            return "\(error)"
        }
    }

    private func assertProblem(_ key: String, _ change: (inout MQTTSettings) -> Void,
                               file: StaticString = #filePath, line: UInt = #line) {
        let p = problem(change)
        XCTAssertTrue(p.contains("mqtt.\(key):"), "expected an error naming mqtt.\(key), got: \(p)", file: file, line: line)
        XCTAssertFalse(p.contains("\n"), file: file, line: line)
    }

    func testDefaultsMirrorTheConfigSchema() throws {
        let s = MQTTSettings()
        XCTAssertEqual(s.host, "127.0.0.1")
        XCTAssertEqual(s.port, 1883)
        XCTAssertEqual(s.keepaliveSeconds, 30)
        XCTAssertEqual(s.reconnectMinSeconds, 1)
        XCTAssertEqual(s.reconnectMaxSeconds, 60)
        XCTAssertEqual(s.topicPrefix, "edgeprune")
        XCTAssertNil(s.tls)
        XCTAssertFalse(s.enabled)
        try s.validate()
    }

    func testEachBadValueIsNamed() throws {
        assertProblem("host") { $0.host = "" }
        assertProblem("host") { $0.host = "a b" }
        assertProblem("port") { $0.port = 0 }
        assertProblem("port") { $0.port = 70000 }
        assertProblem("client_id") { $0.clientID = "" }
        assertProblem("username") { $0.username = "" }
        assertProblem("password_file") { $0.passwordFile = "/etc/hostname" }  // without a username
        assertProblem("password_file") { $0.username = "u"; $0.passwordFile = "/nonexistent/pw" }
        assertProblem("keepalive_seconds") { $0.keepaliveSeconds = 2 }
        assertProblem("reconnect_min_seconds") { $0.reconnectMinSeconds = 0 }
        assertProblem("reconnect_min_seconds") { $0.reconnectMinSeconds = .nan }
        assertProblem("reconnect_max_seconds") { $0.reconnectMinSeconds = 5; $0.reconnectMaxSeconds = 2 }
        for bad in ["", "a/#", "a/+/b", "$SYS", "/lead", "trail/", "a//b"] {
            assertProblem("topic_prefix") { $0.topicPrefix = bad }
        }
        XCTAssertEqual(problem { $0.topicPrefix = "acme/edgeprune" }, "valid")
        assertProblem("tls.ca_file") { $0.tls = .init(caFile: "/nonexistent/ca.pem") }
        assertProblem("tls.ca_file") { $0.tls = .init(caFile: "/tmp") }  // a directory
        assertProblem("tls.key_file") { $0.tls = .init(certFile: "/etc/hostname") }
        assertProblem("tls.cert_file") { $0.tls = .init(keyFile: "/etc/hostname") }
    }

    func testPasswordFileIsReadToItsFirstLine() throws {
        let dir = try MosquittoBroker.makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var s = MQTTSettings(username: "device")
        XCTAssertNil(try s.readPassword())
        s.passwordFile = dir + "/pw"
        try "s3cret\r\n".write(toFile: dir + "/pw", atomically: true, encoding: .utf8)
        XCTAssertEqual(try s.readPassword(), "s3cret")
        try "\n".write(toFile: dir + "/pw", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try s.readPassword()) { XCTAssertTrue("\($0)".contains("mqtt.password_file"), "\($0)") }
    }

    func testClientRefusesBadSettingsBeforeTouchingTheNetwork() {
        XCTAssertThrowsError(try MQTTClient(settings: MQTTSettings(port: 0), clientID: "x")) {
            XCTAssertTrue("\($0)".contains("mqtt.port"), "\($0)")
        }
        XCTAssertThrowsError(try MQTTClient(settings: MQTTSettings(), clientID: "")) {
            XCTAssertTrue("\($0)".contains("mqtt.client_id"), "\($0)")
        }
        XCTAssertThrowsError(try MQTTClient(settings: MQTTSettings(), clientID: "x",
                                            will: MQTTMessage(topic: "a/+", payload: [], qos: 1, retain: true))) {
            XCTAssertTrue("\($0)".contains("a/+"), "\($0)")
        }
    }
}

final class ReconnectBackoffTests: XCTestCase {
    func testDelaysDoubleFromMinToMax() {
        let b = ReconnectBackoff(minSeconds: 1, maxSeconds: 60)
        XCTAssertEqual((0..<8).map { b.delay(attempt: $0, jitter: 0) }, [1, 2, 4, 8, 16, 32, 60, 60])
        XCTAssertEqual(b.delay(attempt: 10_000, jitter: 0), 60)
    }

    func testJitterStaysWithinTwentyPercentAndTheBounds() {
        let b = ReconnectBackoff(minSeconds: 1, maxSeconds: 60)
        XCTAssertEqual(b.delay(attempt: 3, jitter: 1), 9.6, accuracy: 1e-9)
        XCTAssertEqual(b.delay(attempt: 3, jitter: -1), 6.4, accuracy: 1e-9)
        XCTAssertEqual(b.delay(attempt: 0, jitter: -1), 1, "never below the minimum")
        XCTAssertEqual(b.delay(attempt: 9, jitter: 1), 60, "never above the maximum")
        for attempt in 0..<12 {
            let d = b.randomDelay(attempt: attempt)
            XCTAssertTrue((1...60).contains(d), "\(d)")
        }
    }
}
