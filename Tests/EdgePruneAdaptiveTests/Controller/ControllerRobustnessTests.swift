import XCTest
import Foundation
import EdgePruneCore
@testable import EdgePruneAdaptive

/// Bad monitor data is counted and never switches; pending switches and resyncs; the journal.
final class ControllerRobustnessTests: XCTestCase {
    /// A proportion with fields that no Wilson computation produces.
    static func forged(successes: Int, trials: Int, rate: Double, lower: Double, upper: Double) throws -> ProportionEstimate {
        let json = #"{"successes":\#(successes),"trials":\#(trials),"rate":\#(rate),"lower":\#(lower),"upper":\#(upper)}"#
        return try JSONDecoder().decode(ProportionEstimate.self, from: Data(json.utf8))
    }

    func testBadFiguresNeverSwitchAndAreCounted() throws {
        // Level 2 at 7 ms against 10 ms: no violation, and level 1 (expected 9.3 ms) is outside
        // the band, so only a bad figure read as a number could cause a switch: +inf p95 would
        // tighten, a negative p95 or power would relax, a bogus accuracy would relax.
        let config = ControllerConfig(latencyP95Budget: 0.010, powerBudget: 5, accuracyFloor: 0.9, cooldownSeconds: 0, minLatencySamples: 10)
        let c = try Controller(config: config, table: ctrlTable(), initialLevel: 2)
        // The same snapshots with the bad figures removed: the table must end up identical.
        let reference = try Controller(config: config, table: ctrlTable(), initialLevel: 2)
        let good = ProportionEstimate(successes: 95, trials: 100)
        let badAccuracy = [
            try Self.forged(successes: 120, trials: 100, rate: 1.2, lower: 1, upper: 1),
            try Self.forged(successes: 10, trials: 100, rate: 0.1, lower: 0.05, upper: 0.15).with(successes: -1),
            try Self.forged(successes: 50, trials: 100, rate: 0.5, lower: 0.6, upper: 0.4),
            try Self.forged(successes: 50, trials: -100, rate: 0.5, lower: 0.4, upper: 0.6),
        ]
        var t = 0.0, n = 0, expectedInvalid = 0
        func feed(_ p95: Double?, _ power: Double?, _ acc: ProportionEstimate?, invalid: Int, clean: (Double?, Double?, ProportionEstimate?)) {
            t += 0.1; n += 10
            XCTAssertNil(c.observe(MonitorSnapshot(time: t, level: 2, inferencesAtLevel: n, latencyP95: p95, averagePower: power, accuracy: acc)))
            _ = reference.observe(MonitorSnapshot(time: t, level: 2, inferencesAtLevel: n, latencyP95: clean.0, averagePower: clean.1, accuracy: clean.2))
            expectedInvalid += invalid
        }
        for i in 0..<200 {
            switch i % 8 {
            case 0: feed(.nan, 1, good, invalid: 1, clean: (nil, 1, good))
            case 1: feed(.infinity, 1, good, invalid: 1, clean: (nil, 1, good))
            case 2: feed(-0.004, -1, good, invalid: 2, clean: (nil, nil, good))
            case 3: feed(0.007, .nan, badAccuracy[i / 8 % badAccuracy.count], invalid: 2, clean: (0.007, nil, nil))
            case 4: feed(-.infinity, .infinity, good, invalid: 2, clean: (nil, nil, good))
            default: feed(0.007, 1, good, invalid: 0, clean: (0.007, 1, good))
            }
        }
        XCTAssertEqual(c.counters.switches, 0)
        XCTAssertEqual(reference.counters.switches, 0)
        XCTAssertEqual(c.counters.invalidValues, expectedInvalid)
        XCTAssertEqual(reference.counters.invalidValues, 0)
        XCTAssertEqual(c.counters.snapshots, 200)
        XCTAssertTrue(c.journal.isEmpty)
        XCTAssertEqual(c.table, reference.table, "bad figures never reached the table")
    }

    func testBadTimesAndLevelsDropTheSnapshot() throws {
        let c = try Controller(config: ControllerConfig(latencyP95Budget: 0.010, cooldownSeconds: 0, minLatencySamples: 1),
                               table: ctrlTable(), initialLevel: 0)
        XCTAssertNil(c.observe(MonitorSnapshot(time: 10, level: 0, inferencesAtLevel: 5, latencyP95: 0.009)))
        // Every one of these would tighten if believed (50 ms p95).
        let bad = [
            MonitorSnapshot(time: 9, level: 0, inferencesAtLevel: 50, latencyP95: 0.05),          // time backwards
            MonitorSnapshot(time: .nan, level: 0, inferencesAtLevel: 50, latencyP95: 0.05),
            MonitorSnapshot(time: .infinity, level: 0, inferencesAtLevel: 50, latencyP95: 0.05),
            MonitorSnapshot(time: 11, level: 5, inferencesAtLevel: 50, latencyP95: 0.05),         // no such level
            MonitorSnapshot(time: 11, level: -1, inferencesAtLevel: 50, latencyP95: 0.05),
            MonitorSnapshot(time: 11, level: 0, inferencesAtLevel: -3, latencyP95: 0.05),
        ]
        for s in bad { XCTAssertNil(c.observe(s)) }
        XCTAssertEqual(c.counters.ignoredSnapshots, bad.count)
        XCTAssertEqual(c.counters.resyncs, 0)
        XCTAssertEqual(c.level, 0)
        // A good snapshot still works afterwards.
        XCTAssertEqual(c.observe(MonitorSnapshot(time: 11, level: 0, inferencesAtLevel: 50, latencyP95: 0.05))?.to, 1)
    }

    func testStaleSnapshotsWhileASwitchIsPendingThenResync() throws {
        let c = try Controller(config: ControllerConfig(latencyP95Budget: 0.010, cooldownInferences: 0, cooldownSeconds: 0,
                                                        minLatencySamples: 1, switchTimeoutSeconds: 2),
                               table: ctrlTable(), initialLevel: 0)
        XCTAssertEqual(c.observe(MonitorSnapshot(time: 1, level: 0, inferencesAtLevel: 10, latencyP95: 0.011))?.to, 1)
        XCTAssertEqual(c.pendingTarget, 1)
        // The runtime has not switched yet: still over budget at level 0, but no second decision.
        for k in 1...10 {
            XCTAssertNil(c.observe(MonitorSnapshot(time: 1 + Double(k) * 0.1, level: 0, inferencesAtLevel: 10 + k, latencyP95: 0.02)))
        }
        XCTAssertEqual(c.counters.staleSnapshots, 10)
        XCTAssertEqual(c.level, 1)
        // The switch never arrives: after the timeout the controller believes the snapshots again.
        XCTAssertNil(c.observe(MonitorSnapshot(time: 3.5, level: 0, inferencesAtLevel: 30, latencyP95: 0.009)))
        XCTAssertEqual(c.counters.resyncs, 1)
        XCTAssertEqual(c.level, 0)
        XCTAssertNil(c.pendingTarget)
        // A confirmed switch clears the pending state without a resync.
        XCTAssertEqual(c.observe(MonitorSnapshot(time: 4, level: 0, inferencesAtLevel: 40, latencyP95: 0.011))?.to, 1)
        XCTAssertNil(c.observe(MonitorSnapshot(time: 4.1, level: 1, inferencesAtLevel: 1, latencyP95: 0.0085)))
        XCTAssertNil(c.pendingTarget)
        XCTAssertEqual(c.counters.resyncs, 1)
    }

    func testJournalIsBoundedAndRecordsTheMeasuredValues() throws {
        let c = try Controller(config: ControllerConfig(latencyP95Budget: 0.010, cooldownInferences: 0, cooldownSeconds: 0,
                                                        minLatencySamples: 1, journalCapacity: 5),
                               table: ctrlTable(), initialLevel: 0)
        var level = 0
        var all: [SwitchDecision] = []
        for k in 0..<40 {
            // Alternate a hopeless load and an idle one: the controller walks up and down.
            let p95 = k % 2 == 0 ? 0.05 : 0.0001
            let agreement = ProportionEstimate(successes: 90, trials: 100)
            if let d = c.observe(MonitorSnapshot(time: Double(k), level: level, inferencesAtLevel: 10, latencyP95: p95, energyPerInference: 0.003,
                                                 averagePower: 1.5, agreement: agreement)) {
                all.append(d)
                level = d.to
            }
        }
        XCTAssertGreaterThan(all.count, 5)
        XCTAssertEqual(c.journal, Array(all.suffix(5)))
        let m = try XCTUnwrap(c.journal.last?.measured)
        for key in ["p95", "energy", "power", "agreement", "agreementLower", "agreementUpper", "inferencesAtLevel"] {
            XCTAssertNotNil(m[key], key)
        }
        XCTAssertEqual(m["power"], 1.5)
        XCTAssertNil(m["accuracy"], "no labelled accuracy was given")
    }
}

private extension ProportionEstimate {
    func with(successes: Int) throws -> ProportionEstimate {
        try ControllerRobustnessTests.forged(successes: successes, trials: trials, rate: rate, lower: lower, upper: upper)
    }
}
