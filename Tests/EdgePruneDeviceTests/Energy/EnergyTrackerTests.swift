import XCTest
import EdgePruneCore
@testable import EdgePruneDevice

final class EnergyTrackerTests: XCTestCase {
    private let profile = BoardProfile(name: "test", model: "Test board", cores: 4, idleWatts: 2, activeWattsPerCore: 0.5,
                                       joulesPerMAC: 0, joulesPerByte: 0, source: "made up for the test", estimateNotes: "")
    private var estimator: ModelEnergyEstimator { ModelEnergyEstimator(profile: profile) }

    private func inference(_ tracker: EnergyTracker, _ clock: ManualClock, seconds: Double) -> InferenceEnergy {
        tracker.begin()
        clock.t += seconds
        return tracker.end(macs: 0, bytes: 0, busyCores: 1)
    }

    func testNoMeterUsesTheModel() {
        let clock = ManualClock()
        let tracker = EnergyTracker(meter: nil, estimator: estimator, now: clock.now)
        let e = inference(tracker, clock, seconds: 0.1)
        XCTAssertEqual(e.source, .model)
        XCTAssertNil(e.note)
        XCTAssertEqual(e.inferenceJoules, 0.05, accuracy: 1e-12)
        XCTAssertEqual(e.joules, 0.25, accuracy: 1e-12)          // idle 2 W · 0.1 s + 0.05
        clock.t += 0.9                                            // 1 s since start, 0.05 J above idle
        let p = tracker.averagePower(window: 10)!
        XCTAssertEqual(p.source, .model)
        XCTAssertEqual(p.watts, 2.05, accuracy: 1e-9)
    }

    func testHwmonEnergyCounterGivesMeteredJoules() throws {
        let tree = FakeTree()
        tree.write("hwmon0/name", "ina238\n")
        tree.write("hwmon0/energy1_input", "1000000\n")          // 1 J
        let clock = ManualClock()
        let meter = try XCTUnwrap(HwmonMeter.discover(root: tree.root, now: clock.now).first)
        let tracker = EnergyTracker(meter: meter, estimator: estimator, now: clock.now)
        tracker.begin()
        clock.t += 0.5
        tree.write("hwmon0/energy1_input", "3500000\n")          // +2.5 J in 0.5 s = 5 W
        let e = tracker.end(macs: 0, bytes: 0, busyCores: 1)
        XCTAssertEqual(e.source, .meter)
        XCTAssertEqual(e.joules, 2.5, accuracy: 1e-9)
        XCTAssertEqual(e.inferenceJoules, 1.5, accuracy: 1e-9)   // minus idle 2 W · 0.5 s
        XCTAssertEqual(tracker.averagePower(window: 10)?.watts ?? 0, 5, accuracy: 1e-9)
        XCTAssertEqual(tracker.averagePower(window: 10)?.source, .meter)
        XCTAssertEqual(tracker.counters.reads, 2)
    }

    func testHwmonPowerOnlyIsIntegratedByTrapezoid() throws {
        let tree = FakeTree()
        tree.write("hwmon3/name", "ina226\n")
        tree.write("hwmon3/power1_input", "2000000\n")           // 2 W
        let clock = ManualClock()
        let meter = try XCTUnwrap(HwmonMeter.discover(root: tree.root, now: clock.now).first)
        let tracker = EnergyTracker(meter: meter, estimator: estimator, now: clock.now)
        tracker.begin()
        clock.t += 1
        tree.write("hwmon3/power1_input", "4000000\n")           // 4 W
        tracker.sample()
        clock.t += 1
        tree.write("hwmon3/power1_input", "4000000\n")
        let e = tracker.end(macs: 0, bytes: 0, busyCores: 1)
        XCTAssertEqual(e.source, .meter)
        XCTAssertEqual(e.joules, 3 + 4, accuracy: 1e-12)         // (2+4)/2·1 + (4+4)/2·1
        XCTAssertEqual(e.seconds, 2)
        XCTAssertEqual(tracker.averagePower(window: 100)?.watts ?? 0, 3.5, accuracy: 1e-12)
    }

    func testRAPLWrapAroundIsUnwrapped() throws {
        let tree = FakeTree()
        tree.write("intel-rapl:0/name", "package-0\n")
        tree.write("intel-rapl:0/max_energy_range_uj", "262143328850\n")
        tree.write("intel-rapl:0/energy_uj", "262143000000\n")   // 0.32885 J below the top
        let clock = ManualClock()
        let meter = try XCTUnwrap(RAPLMeter.discover(root: tree.root, now: clock.now).first)
        let tracker = EnergyTracker(meter: meter, estimator: estimator, now: clock.now)
        tracker.begin()
        clock.t += 0.1
        tree.write("intel-rapl:0/energy_uj", "1671150\n")        // wrapped, then 1.67115 J more
        let e = tracker.end(macs: 0, bytes: 0, busyCores: 1)
        XCTAssertEqual(e.source, .meter)
        XCTAssertEqual(e.joules, 2.0, accuracy: 1e-6)
        XCTAssertEqual(tracker.counters.wraps, 1)
        XCTAssertEqual(tracker.counters.backwards, 0)
    }

    func testBackwardsCounterIsCountedDroppedAndRebaselined() {
        let clock = ManualClock()
        // Range known (RAPL-like) but the "wrap" would imply 262 kJ in 0.1 s: not a wrap.
        let meter = ScriptedMeter([
            .reading(.energy(joules: 1000, range: 262_143, time: 100)),
            .reading(.energy(joules: 990, range: 262_143, time: 100.1)),
            .reading(.energy(joules: 990, range: 262_143, time: 100.2)),
            .reading(.energy(joules: 991, range: 262_143, time: 100.3)),
        ])
        let tracker = EnergyTracker(meter: meter, estimator: estimator, now: clock.now)
        let first = inference(tracker, clock, seconds: 0.1)
        XCTAssertEqual(first.source, .model)
        XCTAssertTrue(first.note?.contains("backwards") ?? false, first.note ?? "")
        XCTAssertEqual(tracker.counters.backwards, 1)
        XCTAssertEqual(tracker.counters.wraps, 0)
        XCTAssertEqual(tracker.counters.fallbacks, 1)
        // The new value is the baseline: the next inference is metered again.
        let second = inference(tracker, clock, seconds: 0.1)
        XCTAssertEqual(second.source, .meter)
        XCTAssertEqual(second.joules, 1, accuracy: 1e-9)
    }

    func testMeterDisappearingFallsBackSaysSoAndRecovers() throws {
        let tree = FakeTree()
        tree.write("hwmon0/name", "ina238\n")
        tree.write("hwmon0/energy1_input", "0\n")
        let clock = ManualClock()
        let meter = try XCTUnwrap(HwmonMeter.discover(root: tree.root, now: clock.now).first)
        var config = EnergyTracker.Config()
        config.lostAfterErrors = 2
        config.retryInterval = 5
        let tracker = EnergyTracker(meter: meter, estimator: estimator, config: config, now: clock.now)
        XCTAssertEqual(inference(tracker, clock, seconds: 0.1).source, .meter)

        tree.remove("hwmon0")                                    // unplugged mid-run
        let lost = inference(tracker, clock, seconds: 0.1)
        XCTAssertEqual(lost.source, .model)
        XCTAssertEqual(lost.inferenceJoules, 0.05, accuracy: 1e-12)
        XCTAssertTrue(lost.note?.contains("lost") ?? false, lost.note ?? "")
        XCTAssertTrue(tracker.meterIsLost)
        XCTAssertEqual(tracker.counters.meterErrors, 2)
        XCTAssertEqual(tracker.counters.meterLost, 1)
        XCTAssertTrue(tracker.lastMeterError?.contains("energy1_input") ?? false)
        XCTAssertEqual(tracker.averagePower(window: 10)?.source, .model)

        // While lost the file is not retried on every inference.
        for _ in 0..<10 { _ = inference(tracker, clock, seconds: 0.1) }
        XCTAssertEqual(tracker.counters.meterErrors, 2)

        tree.write("hwmon0/name", "ina238\n")
        tree.write("hwmon0/energy1_input", "7000000\n")
        clock.t += 5
        let back = inference(tracker, clock, seconds: 0.1)       // begin re-baselines, end measures
        XCTAssertEqual(back.source, .meter)
        XCTAssertEqual(back.joules, 0, accuracy: 1e-12)
        XCTAssertFalse(tracker.meterIsLost)
        XCTAssertEqual(tracker.counters.meterRecovered, 1)
        XCTAssertEqual(tracker.counters.fallbacks, 11)
    }

    func testGarbageNaNAndImplausibleReadingsAreCountedNeverUsed() {
        let clock = ManualClock()
        let meter = ScriptedMeter([
            .reading(.power(watts: 3, time: 100)),
            .fail(EdgePruneError(.format, "'power1_input' holds 'zz', not a non-negative integer")),
            .reading(.power(watts: 3, time: 100.2)),
            .reading(.power(watts: .nan, time: 100.3)),
            .reading(.power(watts: 3, time: 100.4)),
            .reading(.power(watts: 5_000, time: 100.5)),
            .reading(.energy(joules: 5, range: nil, time: 100.6)),
            .reading(.power(watts: 3, time: 100.7)),
            .reading(.power(watts: 3, time: 100.8)),
            .reading(.power(watts: 3, time: 100.9)),
        ])
        var config = EnergyTracker.Config()
        config.lostAfterErrors = 100
        let tracker = EnergyTracker(meter: meter, estimator: estimator, config: config, now: clock.now)
        var sources: [EnergySource] = []
        for _ in 0..<4 { sources.append(inference(tracker, clock, seconds: 0.1).source) }
        XCTAssertEqual(sources, [.model, .model, .model, .model])
        XCTAssertEqual(tracker.counters.invalidReadings, 3)      // garbage text, NaN, energy-then-power
        XCTAssertEqual(tracker.counters.implausible, 1)          // 5 kW
        let last = inference(tracker, clock, seconds: 0.1)
        XCTAssertEqual(last.source, .meter)
        XCTAssertEqual(last.joules, 0.3, accuracy: 1e-9)
    }

    func testUnmatchedCallsAreCounted() {
        let clock = ManualClock()
        let tracker = EnergyTracker(meter: nil, estimator: estimator, now: clock.now)
        let orphan = tracker.end(macs: 1, bytes: 1, busyCores: 1)
        XCTAssertEqual(orphan.joules, 0)
        XCTAssertEqual(tracker.counters.unmatchedEnds, 1)
        tracker.begin()
        tracker.begin()
        XCTAssertEqual(tracker.counters.unmatchedBegins, 1)
        clock.t += 0.2
        XCTAssertEqual(tracker.end(macs: 0, bytes: 0, busyCores: 1).seconds, 0.2, accuracy: 1e-12)
        XCTAssertNil(tracker.averagePower(window: 0))
    }

    func testHungPMICDoesNotStallEveryInference() throws {
        let tree = FakeTree()
        let hung = tree.script("vcgencmd", "sleep 30")
        let clock = ManualClock()
        var config = EnergyTracker.Config()
        config.lostAfterErrors = 1
        config.retryInterval = 60
        let tracker = EnergyTracker(meter: PMICMeter(command: hung, timeout: 0.2, now: clock.now), estimator: estimator,
                                    config: config, now: clock.now)
        let start = DeviceClock.monotonicSeconds()
        for _ in 0..<20 { XCTAssertEqual(inference(tracker, clock, seconds: 0.01).source, .model) }
        XCTAssertLessThan(DeviceClock.monotonicSeconds() - start, 2.0, "one timeout, then the meter is left alone")
        XCTAssertEqual(tracker.counters.meterErrors, 1)
        XCTAssertTrue(tracker.lastMeterError?.contains("did not finish") ?? false)
    }
}
