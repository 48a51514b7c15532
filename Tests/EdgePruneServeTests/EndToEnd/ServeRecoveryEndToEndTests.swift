import DaemonTestSupport
import EdgePruneCore
import Foundation
import XCTest

/// On-device recovery through the real `edgeprune serve` binary: labels posted to /feedback for
/// logged inferences of a hard-pruned level get a better level adopted, visible in /status and
/// /metrics, persisted across a restart (whose recovery buffers start empty).
final class ServeRecoveryEndToEndTests: XCTestCase {
    func testFeedbackOverHTTPGetsABetterLevelAdoptedAndPersisted() async throws {
        let d = try DaemonHarness(tag: "serve-recovery")
        let model = d.dir.appendingPathComponent("pruned90.epm")
        try EPMWriter.write(RecoveryTestKit.prunedModel, to: model.path)
        try d.writeConfig(model: model, rate: 200, extra: """
            controller: {min_level: 1, max_level: 1}
            recovery: {enabled: true, window_capacity: 20000, min_samples: 200, min_new_samples: 200, epochs: 4, learning_rate: 0.003, cooldown_seconds: 0}
            """)
        try await d.start()
        let c = d.client
        var status = try await d.status()
        XCTAssertEqual(status["level"] as? Int, 1)
        XCTAssertEqual((status["recovery"] as? [String: Any])?["samples"] as? Int, 0)

        let flowing = await DaemonHarness.eventually(20) {
            (try? String(contentsOfFile: d.outputPath, encoding: .utf8))?.split(separator: "\n").count ?? 0 >= 300
        }
        XCTAssertTrue(flowing, "no inferences in the file sink: \(d.logTail())")
        let labels = try ServeHTTPEndToEndTests.labels()
        let lines = try String(contentsOfFile: d.outputPath, encoding: .utf8).split(separator: "\n").prefix(300)
        let items: [[String: Any]] = try lines.map { line in
            let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let id = try XCTUnwrap(o["id"] as? Int), window = try XCTUnwrap(o["window"] as? Int)
            return ["id": id, "label": labels[window % labels.count]]
        }
        // The harness's body limit is 4 KiB: 100 labels a request.
        for start in stride(from: 0, to: items.count, by: 100) {
            let batch = Array(items[start..<min(start + 100, items.count)])
            let fb = try await c.send("POST", "/feedback", headers: d.auth + [("Content-Type", "application/json")],
                                      body: Array(try JSONSerialization.data(withJSONObject: ["labels": batch])))
            XCTAssertEqual(fb.status, 200, fb.text)
        }
        let adopted = try await DaemonHarness.eventually(120) {
            let r = try await d.status()["recovery"] as? [String: Any]
            return (r?["runs"] as? Int ?? 0) > 0
        }
        XCTAssertTrue(adopted, "no recovery run: \(d.logTail())")
        status = try await d.status()
        let recovery = try XCTUnwrap(status["recovery"] as? [String: Any])
        let last = try XCTUnwrap(recovery["last"] as? [String: Any])
        XCTAssertEqual(last["outcome"] as? String, "adopted", "\(last["reason"] ?? "")")
        XCTAssertEqual(recovery["samples"] as? Int, 300)
        XCTAssertEqual(recovery["nice"] as? Int, 10)
        XCTAssertGreaterThan(last["accuracy_after"] as? Double ?? 0, last["accuracy_before"] as? Double ?? 1)
        XCTAssertTrue((status["model"] as? String)?.contains("recovered") == true, "\(status["model"] ?? "nil")")
        XCTAssertEqual(status["level"] as? Int, 1)
        XCTAssertTrue(d.logTail(lines: 50).contains("recovery: adopted a fine-tuned level"), d.logTail())
        let m = try await c.send("GET", "/metrics", headers: d.auth)
        XCTAssertTrue(m.text.contains("edgeprune_recovery_runs_total{outcome=\"adopted\"} 1"), m.text)

        // A restart comes back on the recovered model (persisted), with empty recovery buffers.
        XCTAssertEqual(d.terminate(), 0, d.logTail())
        try await d.start()
        let after = try await d.status()
        XCTAssertTrue((after["model"] as? String)?.hasPrefix("uploaded model sha256") == true, "\(after["model"] ?? "nil")")
        XCTAssertEqual((after["recovery"] as? [String: Any])?["adopted"] as? Int, 0)
        XCTAssertEqual(d.terminate(), 0)
    }
}
