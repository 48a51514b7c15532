import DaemonTestSupport
import EdgePruneDaemon
import EdgePruneHTTP
import XCTest

final class ConfigRouteTests: ServerTestCase {
    func testAppliedConfigIs200AndTheDaemonGetsTheExactDocumentAsAnHTTPUpdate() async throws {
        try await startServer()
        fake.configOutcome = .applied("config version 8")
        let yaml = Array("budgets:\n  latency_p95_ms: 4\ncontroller: {hysteresis: 0.2}\n".utf8)
        let reply = try await client.send("PUT", "/config", headers: auth + [("Content-Type", "application/yaml")], body: yaml)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json?["status"] as? String, "applied")
        XCTAssertEqual(reply.json?["detail"] as? String, "config version 8")
        XCTAssertEqual(fake.configCalls, [FakeDaemonControl.ConfigCall(document: yaml, version: nil, origin: .http)])

        let json = Array(#"{"log": {"level": "debug"}}"#.utf8)
        let second = try await client.send("PUT", "/config", headers: auth, body: json, framing: .chunked(5))
        XCTAssertEqual(second.status, 200)
        XCTAssertEqual(fake.configCalls.last?.document, json)
    }

    func testRejectedConfigIs400WithTheDaemonsMessage() async throws {
        try await startServer()
        fake.configOutcome = .rejected("budgets.latency_p95_ms: -1 must be positive")
        let reply = try await client.send("PUT", "/config", headers: auth, body: Array("budgets: {latency_p95_ms: -1}".utf8))
        XCTAssertEqual(reply.status, 400)
        XCTAssertEqual(reply.errorMessage, "budgets.latency_p95_ms: -1 must be positive")
        XCTAssertEqual(reply.json?["status"] as? String, "rejected")
    }

    func testRolledBackIs422AndFailedIs500() async throws {
        try await startServer()
        fake.configOutcome = .rolledBack("health check failed: p95 12 ms over budget")
        let rolledBack = try await client.send("PUT", "/config", headers: auth, body: Array("log: {level: info}".utf8))
        XCTAssertEqual(rolledBack.status, 422)
        XCTAssertEqual(rolledBack.errorMessage, "health check failed: p95 12 ms over budget")
        XCTAssertEqual(rolledBack.json?["status"] as? String, "rolled_back")

        fake.configOutcome = .failed("cannot persist state: No space left on device")
        let failed = try await client.send("PUT", "/config", headers: auth, body: Array("log: {level: info}".utf8))
        XCTAssertEqual(failed.status, 500)
        XCTAssertEqual(failed.errorMessage, "cannot persist state: No space left on device")
    }

    func testEmptyConfigIs400WithoutCallingTheDaemon() async throws {
        try await startServer()
        let reply = try await client.send("PUT", "/config", headers: auth, body: Array(" \n".utf8))
        XCTAssertEqual(reply.status, 400)
        XCTAssertEqual(reply.errorMessage?.hasPrefix("config: the body is empty"), true, reply.text)
        XCTAssertEqual(fake.configCalls.count, 0)
    }
}
