import DaemonTestSupport
import EdgePruneCore
import Foundation
import XCTest

/// The real daemon on loopback: replay source, feedback, config over HTTP, metrics, auth and
/// limits, SIGTERM and a restart on the persisted state.
final class ServeHTTPEndToEndTests: XCTestCase {
    /// Labels of the replayed digits test inputs (window k is input k mod 360).
    static func labels() throws -> [Int] {
        let t = try NPY.read(DaemonHarness.fixtures.appendingPathComponent("digits/test_y.npy").path)
        let n = t.shape.reduce(1, *)
        switch t.dtype {
        case .int64: return (0..<n).map { Int(t.pointer(as: Int64.self)[$0]) }
        case .int32: return (0..<n).map { Int(t.pointer(as: Int32.self)[$0]) }
        default: throw XCTSkip("test_y.npy has dtype \(t.dtype)")
        }
    }

    func testServeFeedbackConfigMetricsAndCleanShutdownWithPersistedState() async throws {
        let d = try DaemonHarness(tag: "serve-http")
        try d.writeConfig(model: try DaemonHarness.ladderModel("0.5,0.8"), extra: "budgets: {latency_p95_ms: 5, accuracy_floor: 0.5}")
        try await d.start()
        let c = d.client

        // Inferences flow to the file sink.
        let flowing = await DaemonHarness.eventually { (try? String(contentsOfFile: d.outputPath, encoding: .utf8))?.split(separator: "\n").count ?? 0 >= 50 }
        XCTAssertTrue(flowing, "no inferences in the file sink: \(d.logTail())")

        // Feedback: the true labels of 40 logged inferences.
        let labels = try Self.labels()
        let lines = try String(contentsOfFile: d.outputPath, encoding: .utf8).split(separator: "\n").prefix(40)
        let items: [[String: Any]] = try lines.map { line in
            let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let id = try XCTUnwrap(o["id"] as? Int), window = try XCTUnwrap(o["window"] as? Int)
            return ["id": id, "label": labels[window % labels.count]]
        }
        let fb = try await c.send("POST", "/feedback", headers: d.auth + [("Content-Type", "application/json")],
                                  body: Array(try JSONSerialization.data(withJSONObject: ["labels": items])))
        XCTAssertEqual(fb.status, 200, fb.text)
        XCTAssertEqual(fb.json?["accepted"] as? Int, 40, fb.text)
        let matched = try await DaemonHarness.eventually {
            let s = try await d.status()
            return ((s["accuracy_labels"] as? [String: Any])?["trials"] as? Int ?? 0) > 0
                || ((s["runner_counters"] as? [String: Int])?["accuracy.matched"] ?? 0) > 0
        }
        XCTAssertTrue(matched, "feedback never matched an inference")

        // Config over HTTP: applied, versioned, visible in /status.
        let put = try await c.send("PUT", "/config", headers: d.auth, body: Array("budgets: {latency_p95_ms: 7.5}\n".utf8))
        XCTAssertEqual(put.status, 200, put.text)
        var status = try await d.status()
        XCTAssertEqual(status["config_version"] as? Int, 1)
        XCTAssertEqual((status["budgets"] as? [String: Any])?["latency_p95_ms"] as? Double, 7.5)

        // Bad requests change nothing.
        let badYAML = try await c.send("PUT", "/config", headers: d.auth, body: Array("budgets: {latency_p95_ms: [\n".utf8))
        XCTAssertEqual(badYAML.status, 400, badYAML.text)
        XCTAssertNotNil(badYAML.errorMessage)
        let notRemote = try await c.send("PUT", "/config", headers: d.auth, body: Array("http: {port: 1}\n".utf8))
        XCTAssertEqual(notRemote.status, 400)
        XCTAssertTrue(notRemote.errorMessage?.contains("cannot be changed remotely") ?? false, notRemote.text)
        let badValue = try await c.send("PUT", "/config", headers: d.auth, body: Array("budgets: {latency_p95_ms: -1}\n".utf8))
        XCTAssertEqual(badValue.status, 400)
        XCTAssertTrue(badValue.errorMessage?.contains("budgets.latency_p95_ms") ?? false, badValue.text)
        let badJSON = try await c.send("POST", "/feedback", headers: d.auth, body: Array("{\"id\": ".utf8))
        XCTAssertEqual(badJSON.status, 400, badJSON.text)
        let tooBig = try await c.send("PUT", "/config", headers: d.auth, body: [UInt8](repeating: 0x20, count: 8192))
        XCTAssertEqual(tooBig.status, 413, tooBig.text)
        let noToken = try await c.send("GET", "/status")
        XCTAssertEqual(noToken.status, 401)
        let wrongToken = try await c.send("GET", "/status", headers: [("Authorization", "Bearer " + String(d.token.reversed()))])
        XCTAssertEqual(wrongToken.status, 401)
        status = try await d.status()
        XCTAssertEqual(status["config_version"] as? Int, 1, "a rejected request changed the config")

        // Metrics.
        let m = try await c.send("GET", "/metrics", headers: d.auth)
        XCTAssertEqual(m.status, 200)
        let inferences = m.text.split(separator: "\n").first { $0.hasPrefix("edgeprune_inferences_total") }
            .flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        XCTAssertGreaterThan(inferences, 0, m.text)
        for name in ["edgeprune_inference_latency_seconds_bucket", "edgeprune_level", "edgeprune_sparsity", "edgeprune_config_version"] {
            XCTAssertTrue(m.text.contains(name), "\(name) missing from /metrics")
        }

        // SIGTERM: a clean exit, counters persisted; a restart comes back on version 1.
        let before = try await d.status()
        XCTAssertEqual(d.terminate(), 0, d.logTail())
        XCTAssertTrue(d.logTail().contains("stopped"), d.logTail())
        try await d.start()
        let after = try await d.status()
        XCTAssertEqual(after["config_version"] as? Int, 1)
        XCTAssertEqual((after["budgets"] as? [String: Any])?["latency_p95_ms"] as? Double, 7.5, "the remote budget survives a restart")
        let persisted = try XCTUnwrap(after["persisted_counters"] as? [String: Int])
        XCTAssertGreaterThanOrEqual(persisted["inferences"] ?? 0, before["inferences"] as? Int ?? .max, "the counters were persisted at the stop")
        XCTAssertGreaterThanOrEqual(persisted["next_inference_id"] ?? 0, before["inferences"] as? Int ?? .max)
        XCTAssertEqual(d.terminate(), 0)
    }

    func testTheLevelSurvivesARestart() async throws {
        // A budget no level meets drives the controller to the top level (fast tightening, one
        // step per 20 inferences at 20 per second); after a restart it starts there.
        let d = try DaemonHarness(tag: "serve-level")
        try d.writeConfig(model: try DaemonHarness.ladderModel("0.5,0.8"), rate: 20, extra: "budgets: {latency_p95_ms: 0.0001}")
        try await d.start()
        let top = await DaemonHarness.eventually(15) { (try? await d.status()["level"] as? Int) == 2 }
        XCTAssertTrue(top, "never reached level 2: \(d.logTail())")
        XCTAssertEqual(d.terminate(), 0)
        try await d.start()
        let s = try await d.status()
        XCTAssertEqual(s["level"] as? Int, 2, "the persisted level is where the restart begins")
        XCTAssertEqual((s["decisions"] as? [Any])?.count, 0, "no switch was needed to get there: \(s["decisions"] ?? "")")
        XCTAssertEqual(d.terminate(), 0)
    }

    func testStatusStillAnswersAfterAFiniteSourceEnds() async throws {
        // A replay without loop ends; the daemon keeps serving its API and reports why it is unhealthy.
        let d = try DaemonHarness(tag: "serve-finite")
        try d.writeConfig(model: try DaemonHarness.ladderModel("0.5,0.8"), rate: 200)
        let config = try String(contentsOfFile: d.configPath, encoding: .utf8).replacingOccurrences(of: "loop: true", with: "loop: false")
        try config.write(toFile: d.configPath, atomically: true, encoding: .utf8)
        try await d.start()
        let ended = await DaemonHarness.eventually(10) { (try? await d.client.send("GET", "/healthz"))?.status == 503 }
        XCTAssertTrue(ended, d.logTail())
        for _ in 0..<3 {
            let s = try await d.status()
            XCTAssertEqual(s["status"] as? String, "unhealthy")
            XCTAssertEqual(s["detail"] as? String, "the source has finished")
            XCTAssertEqual(s["inferences"] as? Int, 360)
        }
        XCTAssertEqual(d.terminate(), 0, "a stop after the source ended is still clean: \(d.logTail())")
    }

    func testModelUploadSwitchesAndABadModelChangesNothing() async throws {
        let d = try DaemonHarness(tag: "serve-model")
        try d.writeConfig(model: try DaemonHarness.ladderModel("0.5,0.8"))
        try await d.start()
        let garbage = try await d.client.send("POST", "/model", headers: d.auth, body: Array("not a model".utf8))
        XCTAssertEqual(garbage.status, 400, garbage.text)
        var status = try await d.status()
        XCTAssertEqual(status["levels"] as? Int, 3)

        let other = try Array(Data(contentsOf: try DaemonHarness.ladderModel("0.3,0.6,0.9")))
        let up = try await d.client.send("POST", "/model", headers: d.auth, body: other)
        XCTAssertEqual(up.status, 200, up.text)
        status = try await d.status()
        XCTAssertEqual(status["levels"] as? Int, 4)
        XCTAssertTrue((status["model"] as? String ?? "").hasPrefix("uploaded model"), "\(status["model"] ?? "")")
        let staging = try FileManager.default.contentsOfDirectory(atPath: d.statePath + "/staging")
        XCTAssertEqual(staging, [], "staged uploads are removed")

        // The uploaded model is what a restart runs.
        XCTAssertEqual(d.terminate(), 0)
        try await d.start()
        status = try await d.status()
        XCTAssertEqual(status["levels"] as? Int, 4)
        XCTAssertEqual(d.terminate(), 0)
    }

    func testInvalidConfigIsRefusedAtStartWithTheKey() throws {
        let d = try DaemonHarness(tag: "serve-badconfig")
        try d.writeConfig(model: try DaemonHarness.ladderModel("0.5,0.8"), extra: "queue: {capacity: 0}")
        let p = Process()
        p.executableURL = try DaemonHarness.binary()
        p.arguments = ["serve", "--config", d.configPath]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertNotEqual(p.terminationStatus, 0)
        XCTAssertTrue(text.contains("queue.capacity"), text)
        XCTAssertEqual(text.split(separator: "\n").count, 1, "one-line error: \(text)")
    }
}
