import DaemonTestSupport
import EdgePruneHTTP
import XCTest

final class ReadRoutesTests: ServerTestCase {
    func testStatusReturnsTheDaemonsDocument() async throws {
        try await startServer()
        let reply = try await client.send("GET", "/status", headers: auth)
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.header("Content-Type"), "application/json")
        XCTAssertEqual(reply.body, fake.status)
    }

    func testMetricsServesParseableExpositionWithTheDaemonsMetrics() async throws {
        try await startServer()
        fake.metrics.recordInference(seconds: 0.000_3, level: 1)
        fake.metrics.recordInference(seconds: 0.02, level: 2)
        fake.metrics.setLevel(2, sparsity: 0.75)
        fake.metrics.addDrops(3, reason: "queue_full")
        fake.metrics.addErrors(1, kind: "sensor")

        let reply = try await client.send("GET", "/metrics", headers: auth)
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
        let exposition = try PrometheusText.parse(reply.text)
        XCTAssertEqual(exposition.value(DaemonMetrics.Name.inferenceLatency + "_count"), 2)
        XCTAssertEqual(exposition.value(DaemonMetrics.Name.inferences, ["level": "2"]), 1)
        XCTAssertEqual(exposition.value(DaemonMetrics.Name.sparsity), 0.75)
        XCTAssertEqual(exposition.value(DaemonMetrics.Name.droppedWindows, ["reason": "queue_full"]), 3)
        XCTAssertEqual(exposition.value(DaemonMetrics.Name.errors, ["kind": "sensor"]), 1)
        XCTAssertEqual(exposition.types[DaemonMetrics.Name.inferenceLatency], "histogram")
    }
}
