import DaemonTestSupport
import EdgePruneCore
import EdgePruneHTTP
import Logging
import XCTest

final class ControlServerLifecycleTests: ServerTestCase {
    func testStartReportsTheBoundPortAndStopClosesIt() async throws {
        try await startServer()
        let port = try XCTUnwrap(server.boundPort)
        XCTAssertEqual(client.port, port)
        let listening = try await server.listeningPort()
        XCTAssertEqual(listening, port)
        XCTAssertTrue(TestHTTPClient.canConnect(port: port))
        // Keep-alive is not needed for the test; a request works before the stop.
        let reply = try await client.send("GET", "/healthz")
        XCTAssertEqual(reply.status, 200)

        await server.stop()
        XCTAssertFalse(TestHTTPClient.canConnect(port: port), "still listening after stop()")
    }

    func testAPortInUseIsAnErrorNamingTheKeys() async throws {
        try await startServer()
        let port = try XCTUnwrap(server.boundPort)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let second = try ControlServer(
            settings: HTTPSettings(port: port, token: try BearerToken(Self.token)), control: fake, logger: logger)
        do {
            _ = try await second.start()
            XCTFail("a second server bound the same port")
        } catch {
            let text = (error as? EdgePruneError)?.message ?? "\(error)"
            XCTAssertTrue(text.contains("http.port") && text.contains("\(port)"), text)
        }
        await second.stop()
    }

    func testInvalidSettingsAreRefusedNamingTheKey() throws {
        let token = try BearerToken(Self.token)
        let cases: [(HTTPSettings, String)] = [
            (HTTPSettings(port: 70_000, token: token), "http.port"),
            (HTTPSettings(port: -1, token: token), "http.port"),
            (HTTPSettings(bindAddress: "", token: token), "http.bind"),
            (HTTPSettings(token: token, maxBodyBytes: 0), "http.max_body_bytes"),
            (HTTPSettings(token: token, maxModelBytes: -5), "http.max_model_bytes"),
        ]
        for (settings, key) in cases {
            XCTAssertThrowsError(try ControlServer(settings: settings, control: fake)) { error in
                XCTAssertTrue("\(error)".contains(key), "\(error)")
            }
        }
        let defaults = HTTPSettings(token: token)
        XCTAssertEqual(defaults.bindAddress, "127.0.0.1")
        XCTAssertEqual(defaults.port, 8080)
        XCTAssertEqual(defaults.maxBodyBytes, 1_048_576)
        XCTAssertEqual(defaults.maxModelBytes, 67_108_864)
    }
}
