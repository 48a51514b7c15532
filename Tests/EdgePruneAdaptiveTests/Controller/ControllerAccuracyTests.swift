import XCTest
import EdgePruneCore
@testable import EdgePruneAdaptive

/// The accuracy floor: priority against budgets, relaxing on a drop, rollback after tightening,
/// shadow agreement scaled by the dense accuracy.
final class ControllerAccuracyTests: XCTestCase {
    let ms = [10.0, 8, 6, 4, 3]

    /// One label per inference at `rate`.
    static func labels(_ rate: Double, _ n: Int) -> ProportionEstimate {
        ProportionEstimate(successes: Int((rate * Double(n)).rounded()), trials: n)
    }

    func testFloorBeatsLatencyUnderAccuracyFirstAndLosesUnderBudgetFirst() throws {
        // Level 2 runs 6 ms against a 5 ms budget; only levels 3 (0.88) and 4 (0.80) are faster,
        // and the table expects both below the 0.90 floor.
        let world = { [ms] (l: Int) in CtrlFigures(p95: ctrlLatency(ms, l)) }
        let first = try CtrlDriver(ControllerConfig(latencyP95Budget: 0.005, accuracyFloor: 0.9, priority: .accuracyFirst), level: 2)
        first.run(steps: 200, world)
        XCTAssertTrue(first.decisions.isEmpty, "\(first.decisions.map(\.decision.reason))")
        XCTAssertGreaterThan(first.controller.counters.accuracyHolds, 0)

        let budget = try CtrlDriver(ControllerConfig(latencyP95Budget: 0.005, accuracyFloor: 0.9, priority: .budgetFirst), level: 2)
        budget.run(steps: 200, world)
        XCTAssertEqual(budget.decisions.map(\.decision.to), [3])
    }

    func testMeasuredAccuracyBelowFloorWithABudgetViolated() throws {
        // Level 3: 5 ms against 4.5 ms AND measured accuracy 0.80 (upper bound < 0.90).
        let world = { (l: Int) in CtrlFigures(p95: [11.0, 9, 7, 5, 4][l] * 1e-3, accuracy: Self.labels(l == 3 ? 0.8 : 0.95, 200)) }
        let first = try CtrlDriver(ControllerConfig(latencyP95Budget: 0.0045, accuracyFloor: 0.9, priority: .accuracyFirst), level: 3)
        let d = try XCTUnwrap(first.run(steps: 5, world).first)
        XCTAssertEqual(d.to, 2, "accuracy first: relax to the sparsest level expected above the floor (0.92)")
        XCTAssertTrue(d.reason.hasPrefix("relax for accuracy"), d.reason)
        XCTAssertEqual(d.measured["accuracy"] ?? .nan, 0.8, accuracy: 1e-12)
        XCTAssertLessThan(d.measured["accuracyUpper"] ?? 1, 0.9)

        let budget = try CtrlDriver(ControllerConfig(latencyP95Budget: 0.0045, accuracyFloor: 0.9, priority: .budgetFirst), level: 3)
        let e = try XCTUnwrap(budget.run(steps: 5, world).first)
        XCTAssertEqual(e.to, 4, "budget first: tighten despite the accuracy")
    }

    func testAccuracyDriftRelaxesWithinOneHundredLabels() throws {
        // No budget pressure; one label per inference. At level 3 accuracy drifts from 0.93 to
        // 0.80 after label 200; the snapshot's estimate covers the level's last 100 labels.
        let table = try ctrlTable(accuracy: [0.95, 0.94, 0.92, 0.91, 0.80])
        let driver = try CtrlDriver(ControllerConfig(latencyP95Budget: 0.010, accuracyFloor: 0.9, cooldownInferences: 20),
                                    table: table, level: 3)
        var labels = 0
        var relaxAt: Int?
        for _ in 0..<100 {
            let d = driver.step { [ms] l in
                labels += 10
                let n = min(driver.inferencesAtLevel, 100)
                let drifted = l >= 3 ? max(0, min(n, labels - 200)) : 0
                let good = Int((0.93 * Double(n - drifted) + 0.80 * Double(drifted)).rounded())
                // 2 × 4 ms = 8 ms at level 3 is within 10 ms, but level 2 would be 12 ms: no headroom.
                return CtrlFigures(p95: ctrlLatency(ms, l, load: 2), accuracy: ProportionEstimate(successes: good, trials: n))
            }
            if d != nil, relaxAt == nil { relaxAt = labels }
        }
        let at = try XCTUnwrap(relaxAt, "never relaxed")
        XCTAssertGreaterThan(at, 200, "relaxed before the drift")
        XCTAssertLessThanOrEqual(at - 200, 100, "took more than 100 labels")
        XCTAssertEqual(driver.level, 2)
        XCTAssertEqual(driver.decisions.count, 1, "\(driver.decisions.map(\.decision.reason))")
    }

    func testRollbackAfterAnAccuracyCollapseIgnoresTheCooldownAndBlocksTheLevel() throws {
        // Table: level 3 expected 0.91 (above the 0.90 floor); in the world it collapses to 0.60.
        // A slow EWMA (alpha 0.01) keeps the table's 0.91 nearly intact, so only the block keeps
        // the controller away afterwards.
        let table = try ctrlTable(accuracy: [0.95, 0.94, 0.92, 0.91, 0.80], alpha: 0.01)
        let config = ControllerConfig(latencyP95Budget: 0.005, accuracyFloor: 0.9, cooldownInferences: 1000, cooldownSeconds: 0,
                                      rollbackWindowInferences: 200, rollbackBlockSeconds: 5, minLatencySamples: 10, minFeedback: 30)
        let driver = try CtrlDriver(config, table: table, level: 2)
        let world = { [ms] (l: Int) in
            CtrlFigures(p95: ctrlLatency(ms, l), accuracy: Self.labels(l == 3 ? 0.6 : 0.93, driver.inferencesAtLevel))
        }
        let tighten = try XCTUnwrap(driver.step(world))
        XCTAssertEqual(tighten.to, 3)
        XCTAssertNil(driver.step(world), "10 labels: below minFeedback")
        XCTAssertNil(driver.step(world), "20 labels: below minFeedback")
        // 30 labels, 18 right: Wilson upper 0.75 < 0.90. The 1000-inference cooldown does not apply.
        let rollback = try XCTUnwrap(driver.step(world), "no rollback at 30 labels")
        XCTAssertEqual(rollback.from, 3)
        XCTAssertEqual(rollback.to, 2)
        XCTAssertTrue(rollback.reason.hasPrefix("rollback"), rollback.reason)
        XCTAssertEqual(driver.controller.counters.rollbacks, 1)
        let t = driver.time
        XCTAssertTrue(driver.controller.isBlocked(level: 3, at: t))
        XCTAssertTrue(driver.controller.isBlocked(level: 4, at: t))
        XCTAssertFalse(driver.controller.isBlocked(level: 2, at: t))
        XCTAssertFalse(driver.controller.isBlocked(level: 3, at: t + 5))

        // Still over budget at level 2, but level 3 is blocked: no switch until the block ends
        // (and the 1000-inference cooldown has passed).
        var next: SwitchDecision?
        while next == nil, driver.time < 30 { next = driver.step(world) }
        let again = try XCTUnwrap(next)
        XCTAssertEqual(again.to, 3)
        XCTAssertGreaterThanOrEqual(again.time, rollback.time + 5)
        XCTAssertGreaterThan(driver.controller.counters.accuracyHolds, 0)
    }

    func testNoRollbackOutsideTheWindow() throws {
        // The collapse shows up only after the rollback window: a plain accuracy relax (subject to
        // the cooldown), no block.
        let table = try ctrlTable(accuracy: [0.95, 0.94, 0.92, 0.91, 0.80])
        let config = ControllerConfig(latencyP95Budget: 0.005, accuracyFloor: 0.9, cooldownInferences: 100, cooldownSeconds: 0,
                                      rollbackWindowInferences: 50, minLatencySamples: 10)
        let driver = try CtrlDriver(config, table: table, level: 2)
        let world = { [ms] (l: Int) in
            CtrlFigures(p95: ctrlLatency(ms, l), accuracy: l == 3 && driver.inferencesAtLevel > 60 ? Self.labels(0.6, 100) : Self.labels(0.93, 100))
        }
        driver.run(steps: 20, world)
        XCTAssertEqual(driver.decisions.map(\.decision.to), [3, 2])
        XCTAssertTrue(driver.decisions[1].decision.reason.hasPrefix("relax for accuracy"), driver.decisions[1].decision.reason)
        XCTAssertEqual(driver.decisions[1].inference - driver.decisions[0].inference, 100, "waited for the cooldown")
        XCTAssertEqual(driver.controller.counters.rollbacks, 0)
        XCTAssertFalse(driver.controller.isBlocked(level: 3, at: driver.time))
    }

    func testShadowAgreementIsScaledByTheDenseAccuracy() throws {
        // Agreement 0.93 over 400 shadow runs: upper ≈ 0.95. Scaled by a dense accuracy of 0.9 the
        // upper bound ≈ 0.86 < 0.88 floor: relax. Unscaled (dense 1.0) it is above: stay.
        let agreement = ProportionEstimate(successes: 372, trials: 400)
        let world = { [ms] (l: Int) in CtrlFigures(p95: ctrlLatency(ms, l, load: 2), agreement: agreement) }
        let scaled = try CtrlDriver(ControllerConfig(latencyP95Budget: 0.010, accuracyFloor: 0.88, denseAccuracy: 0.9), level: 3)
        let d = try XCTUnwrap(scaled.run(steps: 5, world).first)
        XCTAssertEqual(d.to, 2)
        XCTAssertTrue(d.reason.contains("agreement-based accuracy"), d.reason)
        XCTAssertEqual(d.measured["agreement"] ?? .nan, 0.93, accuracy: 1e-12)

        let unscaled = try CtrlDriver(ControllerConfig(latencyP95Budget: 0.010, accuracyFloor: 0.88, denseAccuracy: 1.0), level: 3)
        XCTAssertTrue(unscaled.run(steps: 50, world).isEmpty)

        // Labelled feedback, when there is enough, wins over agreement.
        let labelled = try CtrlDriver(ControllerConfig(latencyP95Budget: 0.010, accuracyFloor: 0.88, denseAccuracy: 0.9), level: 3)
        XCTAssertTrue(labelled.run(steps: 50) { [ms] l in
            CtrlFigures(p95: ctrlLatency(ms, l, load: 2), accuracy: Self.labels(0.97, 200), agreement: agreement)
        }.isEmpty)
        // Too few labels: agreement is used after all.
        let few = try CtrlDriver(ControllerConfig(latencyP95Budget: 0.010, accuracyFloor: 0.88, denseAccuracy: 0.9, minFeedback: 30), level: 3)
        XCTAssertEqual(few.run(steps: 5) { [ms] l in
            CtrlFigures(p95: ctrlLatency(ms, l, load: 2), accuracy: Self.labels(1, 10), agreement: agreement)
        }.first?.to, 2)
    }
}
