import EdgePruneCore
import EdgePruneDaemon
import Foundation
import Logging
@testable import EdgePruneServe
import XCTest

/// On-device recovery against scripted feedback streams: correct labels recover a hard-pruned
/// level (adopted, better on data it never saw), wrong labels never get a model adopted,
/// NaN/diverging training fails with the reason and keeps the model, too few samples run nothing.
final class OnDeviceRecoveryTests: XCTestCase {
    /// What `adopt` received.
    final class Adoptions: @unchecked Sendable {
        var graphs: [Graph] = []
    }

    final class Token {}

    private func recovery(_ settings: DaemonConfig.Recovery, model: Graph, level: Int = 1,
                          clock: @escaping () -> Double = { 0 }) -> (OnDeviceRecovery, Adoptions) {
        let adoptions = Adoptions()
        let token = Token()
        let samples = RecoverySamples(inputCount: 64, classes: 10, windowCapacity: settings.windowCapacity, maxSamples: settings.maxSamples)
        let r = OnDeviceRecovery(settings: settings, samples: samples, logger: Logger(label: "test"), clock: clock,
                                 current: { .init(graph: model, level: level, token: token) },
                                 adopt: { graph, _, t in
            XCTAssertTrue(t === token)
            adoptions.graphs.append(graph)
            return nil
        })
        return (r, adoptions)
    }

    private func epmBytes(_ g: Graph) throws -> [UInt8] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("recovery-\(getpid())-\(UUID().uuidString).epm").path
        defer { unlink(path) }
        try EPMWriter.write(g, to: path)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    // (a)
    func testCorrectLabelsRecoverAHardPrunedLevelAndAreAdopted() throws {
        let model = RecoveryTestKit.prunedModel
        let (x, y) = try RecoveryTestKit.data("calib")
        let (r, adoptions) = recovery(RecoveryTestKit.settings(), model: model)
        RecoveryTestKit.stream(x, r.samples) { y[$0] }
        XCTAssertEqual(r.samples.count.samples, x.count)
        let outcome = try XCTUnwrap(r.runIfDue())
        guard case .adopted(let candidate, let f) = outcome else { return XCTFail("not adopted: \(outcome.kind): \(outcome.reason)") }
        XCTAssertEqual(adoptions.graphs.count, 1)
        XCTAssertGreaterThan(f.accuracyAfter, f.accuracyBefore)
        XCTAssertLessThanOrEqual(f.pValue, 0.05)
        // Train, selection (best epoch) and held-out (adoption) slices are disjoint.
        XCTAssertLessThan(f.validationSamples + f.trainSamples, x.count)
        XCTAssertGreaterThan(f.validationSamples + f.trainSamples, x.count * 3 / 4)
        // Better on data it never saw (the test split), as the runtime runs it.
        let before = try RecoveryTestKit.testAccuracy(model, level: 1)
        let after = try RecoveryTestKit.testAccuracy(candidate, level: 1)
        XCTAssertGreaterThan(after, before + 0.02, "test accuracy \(before) -> \(after)")
        // Only level 1 changed: level 0 and the masks are the model's.
        XCTAssertEqual(try candidate.atLadderLevel(0).initializers.mapValues(\.floats), try model.atLadderLevel(0).initializers.mapValues(\.floats))
        XCTAssertEqual(candidate.ladder?.codes, model.ladder?.codes)
        let pruned = try model.atLadderLevel(1), tuned = try candidate.atLadderLevel(1)
        for (name, t) in pruned.initializers where t.dtype == .float32 {
            let a = t.floats, b = tuned.initializers[name]!.floats
            XCTAssertTrue(zip(a, b).allSatisfy { $0 != 0 || $1 == 0 }, "a pruned weight of \(name) came back")
        }
        let s = r.status
        XCTAssertEqual(s.adopted, 1)
        XCTAssertEqual(s.runs, 1)
        XCTAssertEqual(s.last?.outcome, "adopted")
        XCTAssertEqual(s.new_samples, 0, "the samples a run used are no longer new")
        XCTAssertNil(r.runIfDue(), "no new samples: no second run")
    }

    // (b)
    func testWrongLabelsAreNeverAdopted() throws {
        let model = RecoveryTestKit.prunedModel
        let before = try epmBytes(model)
        let (x, y) = try RecoveryTestKit.data("calib")
        // Labels that carry no information about the input: uniformly random, and the true labels
        // shuffled across samples (the class balance kept). Neither may get a model adopted.
        var state: UInt64 = 42
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        let random = x.indices.map { _ in Int(next() % 10) }
        var shuffled = y
        for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, Int(next() % UInt64(i + 1))) }
        XCTAssertLessThan(Double(zip(shuffled, y).filter { $0 == $1 }.count) / Double(y.count), 0.2)
        let streams: [(String, [Int])] = [("random", random), ("shuffled", shuffled)]
        for (name, label) in streams {
            let (r, adoptions) = recovery(RecoveryTestKit.settings(), model: model)
            RecoveryTestKit.stream(x, r.samples) { label[$0] }
            let outcome = try XCTUnwrap(r.runIfDue())
            XCTAssertTrue(adoptions.graphs.isEmpty, "\(name): adopted: \(outcome.reason)")
            guard case .rejected(let why, _) = outcome else { XCTFail("\(name): \(outcome.kind): \(outcome.reason)"); continue }
            XCTAssertTrue(why.contains("discarded"), why)
            XCTAssertEqual(r.status.rejected, 1)
            XCTAssertEqual(r.status.adopted, 0)
        }
        XCTAssertEqual(try epmBytes(model), before, "the model's bytes are unchanged")
    }

    // (c)
    func testDivergingOrNaNTrainingFailsWithTheReasonAndKeepsTheModel() throws {
        let model = RecoveryTestKit.prunedModel
        let (x, y) = try RecoveryTestKit.data("calib")
        let (r, adoptions) = recovery(RecoveryTestKit.settings(optimizer: .sgd, learningRate: 10), model: model)
        RecoveryTestKit.stream(x, r.samples) { y[$0] }
        let outcome = try XCTUnwrap(r.runIfDue())
        guard case .failed(let why) = outcome else { return XCTFail("\(outcome.kind): \(outcome.reason)") }
        XCTAssertTrue(why.contains("training diverged"), why)
        XCTAssertTrue(why.contains("the running model is kept"), why)
        XCTAssertTrue(adoptions.graphs.isEmpty)
        XCTAssertEqual(r.status.failed, 1)
        XCTAssertEqual(r.status.last?.outcome, "failed")

        // NaN samples handed to the trainer directly are refused before training.
        var flat = x.prefix(300).flatMap { $0 }
        flat[64 * 7 + 3] = .nan
        let direct = RecoveryTrainer.attempt(model: model, level: 1, inputs: flat, labels: Array(y.prefix(300)),
                                             settings: RecoveryTestKit.settings())
        guard case .failed(let reason) = direct else { return XCTFail("\(direct.kind): \(direct.reason)") }
        XCTAssertTrue(reason.contains("nan") && reason.contains("sample 7"), reason)

        // A window holding NaN never becomes a sample.
        let samples = RecoverySamples(inputCount: 64, classes: 10, windowCapacity: 8, maxSamples: 8)
        var bad = x[0]
        bad[5] = .infinity
        bad.withUnsafeBufferPointer { samples.record(id: 1, input: $0) }
        XCTAssertFalse(samples.label(id: 1, label: 3))
        XCTAssertEqual(samples.stats.nonFinite, 1)
        XCTAssertEqual(samples.count.samples, 0)
    }

    // (d)
    func testTooFewSamplesRunNothingAndLevelZeroIsSkipped() throws {
        let model = RecoveryTestKit.prunedModel
        let (x, y) = try RecoveryTestKit.data("calib")
        let (r, adoptions) = recovery(RecoveryTestKit.settings(minSamples: 200), model: model)
        RecoveryTestKit.stream(Array(x.prefix(150)), r.samples) { y[$0] }
        XCTAssertEqual(r.samples.count.samples, 150)
        XCTAssertNil(r.runIfDue())
        XCTAssertTrue(r.notDue()?.contains("150 labelled samples, 200 needed") == true, r.notDue() ?? "due")
        XCTAssertEqual(r.status.runs, 0)
        XCTAssertTrue(adoptions.graphs.isEmpty)
        // The trainer refuses on its own too.
        let direct = RecoveryTrainer.attempt(model: model, level: 1, inputs: x.prefix(10).flatMap { $0 }, labels: Array(y.prefix(10)),
                                             settings: RecoveryTestKit.settings())
        guard case .skipped(let why) = direct else { return XCTFail("\(direct.kind): \(direct.reason)") }
        XCTAssertTrue(why.contains("recovery.min_samples"), why)

        // Level 0 of a ladder is the dense reference: skipped with the reason, samples kept.
        let (dense, none) = recovery(RecoveryTestKit.settings(), model: model, level: 0)
        RecoveryTestKit.stream(Array(x.prefix(300)), dense.samples) { y[$0] }
        let outcome = try XCTUnwrap(dense.runIfDue())
        guard case .skipped(let reason) = outcome else { return XCTFail("\(outcome.kind)") }
        XCTAssertTrue(reason.contains("dense reference"), reason)
        XCTAssertEqual(dense.samples.count.new, 300, "a skipped run does not use up the samples")
        XCTAssertTrue(none.graphs.isEmpty)
        XCTAssertEqual(dense.status.runs, 0)
        XCTAssertEqual(dense.status.skipped, 1)
        // ... and starts no cooldown: the run is due again at once (as soon as the level moves).
        XCTAssertNil(dense.notDue(), dense.notDue() ?? "")
    }

    func testTheCooldownSpacesRuns() throws {
        let model = RecoveryTestKit.prunedModel
        let (x, _) = try RecoveryTestKit.data("calib")
        var now = 1000.0
        let (r, _) = recovery(RecoveryTestKit.settings(minSamples: 100, epochs: 1, cooldown: 60), model: model, clock: { now })
        // All one class: refused before training (a one-class stream would teach one answer).
        RecoveryTestKit.stream(Array(x.prefix(200)), r.samples) { _ in 4 }
        let first = try XCTUnwrap(r.runIfDue())
        XCTAssertEqual(first.kind, "failed")
        XCTAssertTrue(first.reason.contains("label 4"), first.reason)
        RecoveryTestKit.stream(Array(x.prefix(60)), r.samples) { _ in 4 }
        now += 30
        XCTAssertNil(r.runIfDue())
        XCTAssertTrue(r.notDue()?.contains("cooling down") == true, r.notDue() ?? "due")
        now += 31
        XCTAssertNotNil(r.runIfDue())
        XCTAssertEqual(r.status.runs, 2)
    }

    func testTheTimeLimitAndAShutdownStopTrainingAndAdoptNothing() throws {
        let model = RecoveryTestKit.prunedModel
        let (x, y) = try RecoveryTestKit.data("calib")
        // Every clock read is a second later: the 0.5 s limit runs out at the first batch.
        var now = 0.0
        var settings = RecoveryTestKit.settings()
        settings.maxTrainingSeconds = 0.5
        let (timed, adoptedTimed) = recovery(settings, model: model, clock: { now += 1; return now })
        RecoveryTestKit.stream(x, timed.samples) { y[$0] }
        let outcome = try XCTUnwrap(timed.runIfDue())
        guard case .rejected(let why, let f) = outcome else { return XCTFail("\(outcome.kind): \(outcome.reason)") }
        XCTAssertTrue(why.contains("recovery.max_training_seconds (0.5 s) ran out"), why)
        XCTAssertEqual(f?.epochsRun, 0)
        XCTAssertTrue(adoptedTimed.graphs.isEmpty)

        // Stopped (the daemon shuts down): training ends at its first batch, nothing is adopted.
        let (stopped, adoptedStopped) = recovery(RecoveryTestKit.settings(), model: model)
        RecoveryTestKit.stream(x, stopped.samples) { y[$0] }
        stopped.stop()
        let last = stopped.runNow()
        XCTAssertEqual(last.kind, "rejected", last.reason)
        XCTAssertTrue(last.reason.contains("the daemon is stopping"), last.reason)
        XCTAssertTrue(adoptedStopped.graphs.isEmpty)
    }

    func testSignTest() {
        XCTAssertEqual(RecoveryTrainer.signTest(0, 0), 1)
        XCTAssertEqual(RecoveryTrainer.signTest(1, 0), 0.5, accuracy: 1e-12)
        XCTAssertEqual(RecoveryTrainer.signTest(5, 0), 1.0 / 32, accuracy: 1e-12)
        // P(X >= 8 | n = 10): (45 + 10 + 1) / 1024.
        XCTAssertEqual(RecoveryTrainer.signTest(8, 2), 56.0 / 1024, accuracy: 1e-12)
        XCTAssertGreaterThan(RecoveryTrainer.signTest(3, 5), 0.5)
    }
}
