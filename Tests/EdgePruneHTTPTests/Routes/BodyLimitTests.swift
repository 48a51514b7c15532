import DaemonTestSupport
import EdgePruneHTTP
import XCTest

final class BodyLimitTests: ServerTestCase {
    func testDeclaredOversizedBodiesAre413BeforeTheBodyIsSent() async throws {
        try await startServer(maxBodyBytes: 1000)
        for (method, path) in [("POST", "/feedback"), ("PUT", "/config")] {
            // Only the headers go out: the answer must come from the declared length alone.
            let reply = try await client.send(method, path, headers: auth, framing: .declaredOnly(1001))
            XCTAssertEqual(reply.status, 413, path)
            let message = reply.errorMessage ?? ""
            XCTAssertTrue(message.contains("1001 bytes") && message.contains("http.max_body_bytes"), message)
            XCTAssertEqual(reply.header("Connection"), "close")
        }
        XCTAssertEqual(fake.mutatingCalls, 0)
    }

    func testChunkedOversizedBodiesAre413() async throws {
        try await startServer(maxBodyBytes: 1000)
        let feedback = Array(#"{"labels": ["#.utf8) + Array(repeating: UInt8(ascii: " "), count: 2000) + Array("]}".utf8)
        let f = try await client.send("POST", "/feedback", headers: auth, body: feedback, framing: .chunked(300))
        XCTAssertEqual(f.status, 413)
        XCTAssertEqual(f.errorMessage?.hasPrefix("feedback: the body exceeds the limit of 1000 bytes (http.max_body_bytes)"), true, f.text)
        let config = Array(("budgets:\n" + String(repeating: "# padding\n", count: 200)).utf8)
        let c = try await client.send("PUT", "/config", headers: auth, body: config, framing: .chunked(256))
        XCTAssertEqual(c.status, 413)
        XCTAssertEqual(fake.mutatingCalls, 0)
    }

    func testABodyOfExactlyTheLimitIsAccepted() async throws {
        try await startServer(maxBodyBytes: 64)
        var body = Array(#"{"id": 1, "label": 2}"#.utf8)
        body += Array(repeating: UInt8(ascii: " "), count: 64 - body.count)
        let exact = try await client.send("POST", "/feedback", headers: auth, body: body, framing: .chunked(10))
        XCTAssertEqual(exact.status, 200, exact.text)
        let over = try await client.send("POST", "/feedback", headers: auth, body: body + [0x20], framing: .chunked(10))
        XCTAssertEqual(over.status, 413)
        XCTAssertEqual(fake.feedbackCalls.count, 1)
    }
}
