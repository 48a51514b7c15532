import Foundation
import XCTest
import EdgePruneCore
import EdgePruneDevice
@testable import EdgePruneAdaptive

/// A clock that moves `step` seconds on every reading: each inference (two readings) then
/// "takes" exactly `step`, so the latency the controller sees is scripted.
private final class SteppingClock: MonotonicClock, @unchecked Sendable {
    private let lock = NSLock()
    private var t = 100.0
    var step: Double
    init(step: Double) { self.step = step }
    func now() -> Double {
        lock.lock(); defer { lock.unlock() }
        t += step
        return t
    }
}

final class AdaptiveRunnerTests: XCTestCase {
    typealias Kit = SwitchingTestKit

    private func runner(step: Double, config: ControllerConfig, shadow: Double = 0, journal: JournalWriter? = nil,
                        profiles: [LevelProfile]? = nil) throws -> (AdaptiveRunner, SteppingClock) {
        let g = try Kit.ladderModel("digits_mlp")
        let model = try AdaptiveModel(graph: g, options: AdaptiveModel.Options(measureAllLevelsAtLoad: true))
        let clock = SteppingClock(step: step)
        let options = RunnerOptions(controller: config, shadowFraction: shadow)
        return (try AdaptiveRunner(model: model, options: options, board: BoardProfile.pi4, journal: journal,
                                   profiles: profiles, clock: clock), clock)
    }

    /// Table with latency falling 1 ms per level, so the controller knows which level fits.
    private let profiles = (0...3).map { LevelProfile(level: $0, sparsity: [0, 0.5, 0.7, 0.9][$0], latencyP95: Double(4 - $0) * 1e-3, accuracy: 0.95) }

    private func waitForLevel(_ runner: AdaptiveRunner, _ level: Int, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(10)
        while runner.model.activeLevel != level && Date() < deadline { usleep(1000) }
        XCTAssertEqual(runner.model.activeLevel, level, "the decided switch was not carried out", file: file, line: line)
    }

    /// Over budget: the controller decides to tighten; the switch is prepared off the inference
    /// thread and the following inferences run (and are reported) on the new level; the journal
    /// file gets the decision.
    func testTightensWhenOverBudgetAndCarriesOutTheSwitch() throws {
        let path = NSTemporaryDirectory() + "runner-journal-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = ControllerConfig(latencyP95Budget: 2.5e-3, cooldownInferences: 10, cooldownSeconds: 0, minLatencySamples: 10)
        let (r, _) = try runner(step: 4e-3, config: config, journal: try JournalWriter(path: path), profiles: profiles)
        let x = try Kit.mlpSamples(1)[0].floats
        var decision: SwitchDecision?
        for _ in 0..<50 where decision == nil {
            decision = try x.withUnsafeBufferPointer { try r.infer($0) }.decision
        }
        let d = try XCTUnwrap(decision, "4 ms p95 against a 2.5 ms budget must tighten")
        XCTAssertEqual(d.from, 0)
        XCTAssertEqual(d.to, 2, "the least sparse level the table expects within 2.5 ms x 0.9")
        waitForLevel(r, 2)
        let after = try x.withUnsafeBufferPointer { try r.infer($0) }
        XCTAssertEqual(after.level, 2)
        XCTAssertEqual(r.status().level, 2)
        XCTAssertEqual(r.status().inferencesAtLevel, 1, "a new level starts a new window")
        XCTAssertEqual(r.status().counters.switches, 1)
        let written = try JournalWriter.read(path: path)
        XCTAssertEqual(written.decisions, [d])
    }

    /// Within budget at the dense level: no decision, ever.
    func testWithinBudgetStays() throws {
        let config = ControllerConfig(latencyP95Budget: 10e-3, cooldownInferences: 5, cooldownSeconds: 0, minLatencySamples: 5)
        let (r, _) = try runner(step: 1e-3, config: config, profiles: profiles)
        let x = try Kit.mlpSamples(1)[0].floats
        for _ in 0..<100 {
            XCTAssertNil(try x.withUnsafeBufferPointer { try r.infer($0) }.decision)
        }
        XCTAssertEqual(r.status().level, 0)
        XCTAssertEqual(r.status().latency?.count, 100)
        XCTAssertEqual(try XCTUnwrap(r.status().latency?.p95), 1e-3, accuracy: 1e-9)
    }

    /// Labels from another thread are matched at the next inference; unknown ids, duplicates and
    /// out-of-range labels are counted and change no estimate.
    func testFeedbackFromAnotherThreadIsMatchedAndBadLabelsCounted() throws {
        let (r, _) = try runner(step: 1e-4, config: ControllerConfig())
        let split = try MonDigits.testSplit()
        var collected: [(UInt64, Int)] = []
        for k in 0..<40 {
            let o = try split.rows[k].withUnsafeBufferPointer { try r.infer($0) }
            collected.append((o.id, split.labels[k]))
        }
        // feedback() is the runner's one thread-safe entry point.
        struct Shared: @unchecked Sendable { let runner: AdaptiveRunner; let ids: [(UInt64, Int)] }
        let shared = Shared(runner: r, ids: collected)
        let t = Thread {
            let r = shared.runner, ids = shared.ids
            for (id, label) in ids { _ = r.feedback(id: id, label: label) }
            _ = r.feedback(id: ids[0].0, label: ids[0].1)  // duplicate
            _ = r.feedback(id: 999_999, label: 1)  // unknown
            _ = r.feedback(id: ids[1].0, label: 42)  // out of range
        }
        t.start()
        while !t.isFinished { usleep(1000) }
        try split.rows[0].withUnsafeBufferPointer { _ = try r.infer($0) }
        let s = r.status()
        XCTAssertEqual(s.counters.accuracy.matched, 40)
        XCTAssertEqual(s.counters.accuracy.duplicateLabels, 1)
        XCTAssertEqual(s.counters.accuracy.unknownIds, 1)
        XCTAssertEqual(s.counters.accuracy.labelsOutOfRange, 1)
        let accuracy = try XCTUnwrap(s.accuracy)
        XCTAssertEqual(accuracy.trials, 40)
        XCTAssertGreaterThan(accuracy.rate, 0.85, "the dense digits MLP is right on most of the test split")
    }

    /// Every inference shadowed: the dense model agrees with itself at level 0.
    func testShadowAgreementAtLevelZero() throws {
        let (r, _) = try runner(step: 1e-4, config: ControllerConfig(), shadow: 1)
        let split = try MonDigits.testSplit()
        for k in 0..<30 { try split.rows[k].withUnsafeBufferPointer { _ = try r.infer($0) } }
        r.waitForShadow()
        let agreement = try XCTUnwrap(r.status().agreement)
        XCTAssertEqual(agreement.trials + (r.status().counters.shadow?.dropped ?? 0), 30)
        XCTAssertEqual(agreement.successes, agreement.trials)
    }

    /// A wrong-sized input is refused before anything runs.
    func testWrongInputSizeIsRefused() throws {
        let (r, _) = try runner(step: 1e-4, config: ControllerConfig())
        let short = [Float](repeating: 0, count: 10)
        Kit.assertThrows("an input holds 64 values, got 10") { try short.withUnsafeBufferPointer { _ = try r.infer($0) } }
        XCTAssertEqual(r.status().inferences, 0)
    }

    func testBadOptionsAndProfilesAreRefused() throws {
        let g = try Kit.ladderModel("digits_mlp")
        let model = try AdaptiveModel(graph: g)
        Kit.assertThrows("shadow fraction must be in 0...1") {
            _ = try AdaptiveRunner(model: model, options: RunnerOptions(controller: ControllerConfig(), shadowFraction: 2), board: .pi4)
        }
        Kit.assertThrows("latency window must be at least 1") {
            _ = try AdaptiveRunner(model: model, options: RunnerOptions(controller: ControllerConfig(), latencyWindow: 0), board: .pi4)
        }
        Kit.assertThrows("2 level profiles for a model with 4 levels") {
            _ = try AdaptiveRunner(model: model, options: RunnerOptions(controller: ControllerConfig()), board: .pi4,
                                   profiles: Array(profiles.prefix(2)))
        }
    }

    /// The feedback queue is bounded: beyond its capacity labels are refused and counted.
    func testFeedbackInboxIsBounded() {
        let inbox = FeedbackInbox(capacity: 3)
        XCTAssertEqual((0..<5).map { inbox.push(id: UInt64($0), label: 0) }, [true, true, true, false, false])
        XCTAssertEqual(inbox.refused, 2)
        var seen: [UInt64] = []
        inbox.drain { seen.append($0.id) }
        XCTAssertEqual(seen, [0, 1, 2])
        XCTAssertTrue(inbox.push(id: 9, label: 1), "draining frees the queue")
    }

    func testValueWindowMeanForgetsOldValuesAndNonFinite() {
        var w = ValueWindow(capacity: 3)
        for v in [1.0, 2, 3, 4, .nan] { w.append(v) }
        XCTAssertEqual(w.count, 3)
        XCTAssertEqual(w.mean, 3, accuracy: 1e-12)
        w.removeAll()
        XCTAssertEqual(w.count, 0)
        XCTAssertEqual(w.mean, 0)
    }
}
