import DaemonTestSupport
import EdgePruneDaemon
import EdgePruneHTTP
import Foundation
import Logging
import XCTest

/// Starts a real ControlServer on 127.0.0.1, port 0, over a FakeDaemonControl with its own
/// staging directory, and stops it after the test.
class ServerTestCase: XCTestCase {
    static let token = "test-token-0123456789abcdef"

    var fake: FakeDaemonControl!
    var server: ControlServer!
    var client: TestHTTPClient!
    var staging: String!
    var auth: [(String, String)] { [("Authorization", "Bearer \(Self.token)")] }

    override func setUp() async throws {
        staging = FileManager.default.temporaryDirectory
            .appendingPathComponent("edgeprune-http-\(getpid())-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        fake = FakeDaemonControl(staging: staging)
    }

    override func tearDown() async throws {
        if let server { await server.stop() }
        server = nil
        if let staging { try? FileManager.default.removeItem(atPath: staging) }
    }

    /// Starts the server; call once per test, before sending.
    func startServer(maxBodyBytes: Int = 4096, maxModelBytes: Int = 1 << 20) async throws {
        var logger = Logger(label: "edgeprune.http.test")
        logger.logLevel = .critical
        let settings = HTTPSettings(port: 0, token: try BearerToken(Self.token),
                                    maxBodyBytes: maxBodyBytes, maxModelBytes: maxModelBytes)
        server = try ControlServer(settings: settings, control: fake, logger: logger)
        let port = try await server.start()
        XCTAssertGreaterThan(port, 0)
        client = TestHTTPClient(port: port)
    }

    /// Files in the staging directory (temporaries included).
    func stagedFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: staging)
    }

    /// Deterministic pseudo-random bytes.
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var x = seed | 1
        return (0..<count).map { _ in
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            return UInt8(truncatingIfNeeded: x)
        }
    }
}
