import EdgePruneCore
import EdgePruneDaemon
import EdgePruneONNX
import Foundation
import Logging
@testable import EdgePruneServe
import XCTest

/// Recovery wired into the daemon (in process): inferences record their windows, POST /feedback's
/// labels become samples, the background thread (at its nice value) trains, and a better level
/// goes through the model-update path into the state directory; wrong labels leave the stored
/// model byte for byte as it was.
final class DaemonRecoveryTests: XCTestCase {
    private var dirs: [URL] = []

    override func tearDown() {
        for d in dirs { try? FileManager.default.removeItem(at: d) }
    }

    /// A service on the hard-pruned digits MLP at level 1, replaying the 360 test rows once.
    private func service(recovery: String) throws -> (DaemonService, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("edgeprune-recovery-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        dirs.append(dir)
        let model = dir.appendingPathComponent("pruned90.epm")
        try EPMWriter.write(RecoveryTestKit.prunedModel, to: model.path)
        let yaml = """
            model: {path: "\(model.path)", level: 1}
            source: {replay: {path: "\(RecoveryTestKit.fixtures.appendingPathComponent("digits/test_x_mlp.npy").path)", rate: 0}}
            queue: {capacity: 16, policy: block}
            controller: {min_level: 1, max_level: 1}
            http: {enabled: false}
            state: {directory: "\(dir.appendingPathComponent("state").path)"}
            recovery: \(recovery)
            """
        let config = try DaemonConfig.parse(Array(yaml.utf8), source: "test.yaml", environment: [:],
                                            options: .init(checkFiles: true, hostname: "test"))
        return (try DaemonService(config: config, logger: Logger(label: "test")), model)
    }

    private func waitForRun(_ s: DaemonService, timeout: Double = 300) -> OnDeviceRecovery.Status? {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if let st = s.recovery?.status, st.runs > 0 { return st }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return nil
    }

    private func finishSource(_ s: DaemonService) {
        let end = Date().addingTimeInterval(60)
        while s.loop.isRunning, Date() < end { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertFalse(s.loop.isRunning, "the replay of 360 rows ended")
    }

    func testFeedbackThroughTheDaemonRecoversTheLevelAndPersistsIt() throws {
        let (s, modelFile) = try service(recovery: "{enabled: true, window_capacity: 400, min_samples: 200, min_new_samples: 200, epochs: 4, learning_rate: 0.003, cooldown_seconds: 0, nice: 12}")
        defer { s.stop() }
        XCTAssertNil(s.store.current.model)
        s.start()
        finishSource(s)
        let (_, y) = try RecoveryTestKit.data("test")
        let report = s.submitFeedback(y.enumerated().map { FeedbackLabel(id: UInt64($0.offset + 1), label: $0.element) }
                                      + [FeedbackLabel(id: 5000, label: 1), FeedbackLabel(id: 3, label: 10)])
        XCTAssertGreaterThan(report.accepted, 0)
        let st = try XCTUnwrap(waitForRun(s), "no recovery run within the timeout")
        XCTAssertEqual(st.samples, 360)
        XCTAssertEqual(st.labels_unmatched, 1)
        XCTAssertEqual(st.labels_out_of_range, 1)
        XCTAssertEqual(st.nice, 12, "the training thread runs at its nice value")
        XCTAssertEqual(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0), 0, "the test's own thread is untouched")
        XCTAssertEqual(st.last?.outcome, "adopted", st.last?.reason ?? "")
        XCTAssertEqual(st.adopted, 1)
        // Persisted through the model-update path: the state directory holds the recovered model.
        let stored = try XCTUnwrap(s.store.current.model, "the recovered model was not persisted")
        let graph = try ModelLoader.load(s.store.path(of: stored))
        XCTAssertNotNil(graph.ladder?.levelWeights[1], "level 1 carries recovered weights")
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: s.store.path(of: stored))), try Data(contentsOf: modelFile))
        let status = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(s.statusJSON())) as? [String: Any])
        let rec = try XCTUnwrap(status["recovery"] as? [String: Any])
        XCTAssertEqual(rec["adopted"] as? Int, 1)
        XCTAssertTrue((status["model"] as? String)?.contains("recovered") == true, "\(status["model"] ?? "nil")")
        XCTAssertTrue(s.metricsText().contains("edgeprune_recovery_runs_total{outcome=\"adopted\"} 1"), s.metricsText())
    }

    func testWrongFeedbackLeavesTheModelAsItWas() throws {
        let (s, modelFile) = try service(recovery: "{enabled: true, window_capacity: 400, min_samples: 200, min_new_samples: 200, epochs: 3, cooldown_seconds: 0}")
        defer { s.stop() }
        let before = try Data(contentsOf: modelFile)
        s.start()
        finishSource(s)
        var state: UInt64 = 7
        _ = s.submitFeedback((1...360).map { id in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return FeedbackLabel(id: UInt64(id), label: Int((state >> 33) % 10))
        })
        let st = try XCTUnwrap(waitForRun(s), "no recovery run within the timeout")
        XCTAssertEqual(st.last?.outcome, "rejected", st.last?.reason ?? "")
        XCTAssertEqual(st.adopted, 0)
        XCTAssertNil(s.store.current.model, "nothing was installed")
        XCTAssertEqual(try Data(contentsOf: modelFile), before)
        XCTAssertTrue(s.metricsText().contains("edgeprune_recovery_runs_total{outcome=\"rejected\"} 1"), s.metricsText())
    }

    func testAResultTrainedOnAModelReplacedMeanwhileIsDiscarded() throws {
        let (s, _) = try service(recovery: "{enabled: true, min_samples: 200}")
        defer { s.stop() }
        let figures = RecoveryFigures(level: 1, trainSamples: 1, validationSamples: 1, accuracyBefore: 0, accuracyAfter: 1, bestEpoch: 1,
                                      epochsRun: 1, candidateOnly: 1, runningOnly: 0, pValue: 0, seconds: 0)
        let why = s.installRecovered(RecoveryTestKit.prunedModel, figures: figures, token: NSObject())
        XCTAssertTrue(why?.contains("the running model changed while recovery trained") == true, why ?? "installed")
        XCTAssertNil(s.store.current.model, "nothing was installed")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: s.stagingDirectory()), [], "the staged file is removed")
    }

    func testTooLargeBuffersAreRefusedAtStartNamingTheKeys() throws {
        XCTAssertThrowsError(try service(recovery: "{enabled: true, window_capacity: 1000000, max_samples: 1000000, min_samples: 200}")) {
            XCTAssertTrue("\($0)".contains("recovery.window_capacity") && "\($0)".contains("256 MiB"), "\($0)")
        }
    }
}
