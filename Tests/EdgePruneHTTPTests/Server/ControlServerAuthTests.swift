import DaemonTestSupport
import EdgePruneDaemon
import EdgePruneHTTP
import XCTest

final class ControlServerAuthTests: ServerTestCase {
    /// Every protected route with a body that would succeed if authorised.
    private var protectedRequests: [(method: String, path: String, body: [UInt8])] {
        [("GET", "/status", []),
         ("GET", "/metrics", []),
         ("POST", "/feedback", Array(#"{"id":1,"label":2}"#.utf8)),
         ("PUT", "/config", Array("budgets:\n  latency_p95_ms: 4\n".utf8)),
         ("POST", "/model", Self.bytes(1000, seed: 1))]
    }

    func testNoTokenIs401WithBearerChallengeAndTheDaemonIsNotCalled() async throws {
        try await startServer()
        for r in protectedRequests {
            let reply = try await client.send(r.method, r.path, body: r.body)
            XCTAssertEqual(reply.status, 401, "\(r.method) \(r.path)")
            XCTAssertTrue(reply.header("WWW-Authenticate")?.hasPrefix("Bearer") == true, "\(r.path)")
            XCTAssertEqual(reply.errorMessage?.contains("missing bearer token"), true, reply.text)
        }
        XCTAssertEqual(fake.mutatingCalls, 0)
        XCTAssertEqual(try stagedFiles(), [])
    }

    func testWrongTokenIs401() async throws {
        try await startServer()
        for r in protectedRequests {
            let reply = try await client.send(r.method, r.path, headers: [("Authorization", "Bearer nope")], body: r.body)
            XCTAssertEqual(reply.status, 401, "\(r.path)")
            XCTAssertEqual(reply.header("WWW-Authenticate"), #"Bearer realm="edgeprune", error="invalid_token""#)
            XCTAssertEqual(reply.errorMessage, "invalid bearer token")
        }
        XCTAssertEqual(fake.mutatingCalls, 0)
    }

    func testSameLengthWrongTokensAre401() async throws {
        try await startServer()
        var first = Array(Self.token.utf8), last = Array(Self.token.utf8)
        first[0] ^= 1
        last[last.count - 1] ^= 1
        for wrong in [first, last] {
            let token = String(decoding: wrong, as: UTF8.self)
            XCTAssertEqual(token.utf8.count, Self.token.utf8.count)
            let reply = try await client.send("PUT", "/config", headers: [("Authorization", "Bearer \(token)")],
                                              body: Array("log: {level: debug}\n".utf8))
            XCTAssertEqual(reply.status, 401)
        }
        // The token as a prefix of a longer one, and a prefix of the token, are wrong too.
        for token in [Self.token + "x", String(Self.token.dropLast())] {
            let reply = try await client.send("GET", "/status", headers: [("Authorization", "Bearer \(token)")])
            XCTAssertEqual(reply.status, 401, token)
        }
        XCTAssertEqual(fake.configCalls.count, 0)
    }

    func testOtherSchemesAndDuplicateHeadersAre401() async throws {
        try await startServer()
        let basic = try await client.send("GET", "/status", headers: [("Authorization", "Basic \(Self.token)")])
        XCTAssertEqual(basic.status, 401)
        let bare = try await client.send("GET", "/status", headers: [("Authorization", Self.token)])
        XCTAssertEqual(bare.status, 401)
        let twice = try await client.send("GET", "/status", headers: auth + auth)
        XCTAssertEqual(twice.status, 401)
        XCTAssertEqual(twice.errorMessage, "more than one Authorization header")
    }

    func testRightTokenReaches200OnEveryRoute() async throws {
        try await startServer()
        for r in protectedRequests {
            let reply = try await client.send(r.method, r.path, headers: auth, body: r.body)
            XCTAssertEqual(reply.status, 200, "\(r.method) \(r.path): \(reply.text)")
        }
        // The scheme is case-insensitive (RFC 7235) and extra spaces are tolerated.
        let lower = try await client.send("GET", "/status", headers: [("Authorization", "bearer   \(Self.token)")])
        XCTAssertEqual(lower.status, 200)
        XCTAssertEqual(fake.feedbackCalls.count, 1)
        XCTAssertEqual(fake.configCalls.count, 1)
        XCTAssertEqual(fake.modelCalls.count, 1)
    }

    func testHealthzNeedsNoTokenAndReports503WhenUnhealthy() async throws {
        try await startServer()
        let ok = try await client.send("GET", "/healthz")
        XCTAssertEqual(ok.status, 200)
        XCTAssertEqual(ok.text, "ok\n")
        // A wrong token does not matter on /healthz either.
        let withWrong = try await client.send("GET", "/healthz", headers: [("Authorization", "Bearer wrong")])
        XCTAssertEqual(withWrong.status, 200)

        fake.healthAnswer = .unhealthy("inference loop stopped: sensor gpiochip0 went away")
        let down = try await client.send("GET", "/healthz")
        XCTAssertEqual(down.status, 503)
        XCTAssertEqual(down.header("Content-Type"), "application/json")
        XCTAssertEqual(down.errorMessage, "inference loop stopped: sensor gpiochip0 went away")
    }

    func testUnknownRouteIs404AndWrongMethodIs405() async throws {
        try await startServer()
        let unknown = try await client.send("GET", "/nope", headers: auth)
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(unknown.errorMessage?.contains("/nope"), true)
        // Without a token, an unknown path gives 401: unauthenticated clients learn nothing.
        let unknownNoToken = try await client.send("GET", "/nope")
        XCTAssertEqual(unknownNoToken.status, 401)

        let wrongMethod = try await client.send("GET", "/config", headers: auth)
        XCTAssertEqual(wrongMethod.status, 405)
        XCTAssertEqual(wrongMethod.header("Allow"), "PUT")
        XCTAssertNotNil(wrongMethod.errorMessage)
        let postStatus = try await client.send("POST", "/status", headers: auth, body: Array("{}".utf8))
        XCTAssertEqual(postStatus.status, 405)
        XCTAssertEqual(postStatus.header("Allow"), "GET")
        let postHealth = try await client.send("POST", "/healthz", body: Array("{}".utf8))
        XCTAssertEqual(postHealth.status, 405)
        XCTAssertEqual(fake.mutatingCalls, 0)
    }
}
