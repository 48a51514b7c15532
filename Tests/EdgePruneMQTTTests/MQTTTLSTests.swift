@testable import EdgePruneMQTT
import EdgePruneDaemon
import DaemonTestSupport
import Foundation
import XCTest

/// The `mqtt.tls` options against a real broker with a TLS listener and certificates made for
/// the test.
final class MQTTTLSTests: XCTestCase {
    private var pki: TestPKI!
    private var ca: TestPKI.Pair!

    override func setUpWithError() throws {
        try MosquittoBroker.skipUnlessInstalled()
        pki = try TestPKI()
        ca = try pki.certificateAuthority("fleet-ca")
    }

    override func tearDown() {
        pki = nil  // XCTest keeps test case instances alive: free the directory now
    }

    private func tlsBroker(serverSAN: String = "IP:127.0.0.1", requireClientCert: Bool = false) throws -> MosquittoBroker {
        let server = try pki.issue("broker", subjectAltName: serverSAN, by: ca)
        var options = ["cafile \(ca.cert)", "certfile \(server.cert)", "keyfile \(server.key)"]
        if requireClientCert { options.append("require_certificate true") }
        let broker = try MosquittoBroker(listenerOptions: options)
        try broker.start()
        return broker
    }

    /// Connects and round-trips one message through the broker.
    private func assertWorks(_ tls: DaemonConfig.TLS, port: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let (client, seen) = try startRecordingClient(loopbackSettings(port: port, tls: tls), id: "tls-ok", subscribe: ["tls/#"])
        defer { client.stop() }
        guard waitUntil("a TLS session: \(client.stats)", file: file, line: line, { client.isConnected }) else { return }
        XCTAssertEqual(client.publish(MQTTMessage(topic: "tls/echo", payload: Array("hi".utf8), qos: 1, retain: true)), .queued,
                       file: file, line: line)
        waitUntil("the echo", file: file, line: line) { seen.texts(on: "tls/echo") == ["hi"] }
    }

    /// Returns the failure message of the first attempt.
    private func assertFails(_ tls: DaemonConfig.TLS, port: Int, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let client = try MQTTClient(settings: loopbackSettings(port: port, tls: tls), clientID: "tls-bad")
        try client.start()
        defer { client.stop() }
        waitUntil("a failed attempt: \(client.stats)", file: file, line: line) { client.stats.connectFailures >= 1 }
        XCTAssertEqual(client.stats.connects, 0, "connected although it should not", file: file, line: line)
        let error = client.stats.lastError ?? ""
        XCTAssertFalse(error.contains("\n"), file: file, line: line)
        return error
    }

    func testTrustedBrokerConnects() throws {
        let broker = try tlsBroker()
        try assertWorks(.init(caFile: ca.cert), port: broker.port)
    }

    func testBrokerSignedByAnotherCAIsRefused() throws {
        let broker = try tlsBroker()
        let other = try pki.certificateAuthority("other-ca")
        let error = try assertFails(.init(caFile: other.cert), port: broker.port)
        XCTAssertTrue(error.contains("127.0.0.1:\(broker.port)") && error.contains("TLS"), error)
        XCTAssertTrue(error.contains("certificate verify failed"), "OpenSSL's reason is kept: \(error)")
        // `insecure` skips only the host name check, never the chain.
        _ = try assertFails(.init(caFile: other.cert, insecure: true), port: broker.port)
    }

    func testHostNameMismatchIsRefusedUnlessInsecure() throws {
        let broker = try tlsBroker(serverSAN: "DNS:other.example")
        let error = try assertFails(.init(caFile: ca.cert), port: broker.port)
        XCTAssertTrue(error.contains("TLS"), error)
        try assertWorks(.init(caFile: ca.cert, insecure: true), port: broker.port)
    }

    func testClientCertificateWhenTheBrokerRequiresOne() throws {
        let broker = try tlsBroker(requireClientCert: true)
        _ = try assertFails(.init(caFile: ca.cert), port: broker.port)
        let device = try pki.issue("pi-07", subjectAltName: "DNS:pi-07", by: ca)
        try assertWorks(.init(caFile: ca.cert, certFile: device.cert, keyFile: device.key), port: broker.port)
    }
}
