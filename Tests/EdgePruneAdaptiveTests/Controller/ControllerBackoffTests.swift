import XCTest
import EdgePruneCore
@testable import EdgePruneAdaptive

/// Relax back-off: a relax that a budget tightening undoes holds that level back, doubling, and
/// lets go as soon as the load goes away.
final class ControllerBackoffTests: XCTestCase {
    /// Under load the levels' costs stop following the offline ratios: level 1 measures 11 ms
    /// while level 2 measures about 6.5 ms, so from level 2 the table keeps predicting that level 1
    /// fits (6.5 × 8/6 ≈ 8.7 ms ≤ 9 ms) whenever the noise dips. Quiet, the world is the table.
    /// Ratio learning is off (its window is shorter than a step): in a stationary world it would
    /// learn the loaded ratio and stop the probes by itself; on a device it is fooled by latency
    /// windows that straddle a load change, which is what these tests stand for.
    private let loaded = [14.0, 11, 6.5, 4.5, 3.5]
    private let quiet = [7.0, 5.6, 4.2, 2.8, 2.1]

    private func run(_ config: ControllerConfig, loadedSteps: Int, quietSteps: Int) throws -> (CtrlDriver, loadEnd: Int) {
        var noise = CtrlNoise(seed: 5)
        let driver = try CtrlDriver(config)
        var world = loaded
        driver.run(steps: loadedSteps) { l in CtrlFigures(p95: world[l] * 1e-3 * (1 + 0.1 * noise.next())) }
        let loadEnd = driver.totalInferences
        world = quiet
        driver.run(steps: quietSteps) { l in CtrlFigures(p95: world[l] * 1e-3 * (1 + 0.1 * noise.next())) }
        return (driver, loadEnd)
    }

    private func config(backoff: Double, max: Double) -> ControllerConfig {
        ControllerConfig(latencyP95Budget: 0.010, hysteresisBand: 0.1, cooldownInferences: 20, cooldownSeconds: 0.2,
                         ratioLearningWindowSeconds: 0.05, relaxProbeSeconds: 10, relaxBackoffSeconds: backoff,
                         relaxBackoffMaxSeconds: max)
    }

    func testFailedRelaxesBackOffAndTheLoadEndingLiftsTheBackOff() throws {
        // 3000 loaded steps = 300 s at 10 inferences per 0.1 s, then 300 quiet steps. Back-offs of
        // 40, 80, 160 s: one is still in force when the load ends.
        let (driver, loadEnd) = try run(config(backoff: 40, max: 1000), loadedSteps: 3000, quietSteps: 300)
        let duringLoad = driver.decisions.filter { $0.inference <= loadEnd }
        let failed = duringLoad.filter { $0.decision.reason.contains("failed") }
        XCTAssertGreaterThanOrEqual(failed.count, 1, "the first probe of level 1 fails")
        // Back-offs 40, 80, 160 s: at most 4 failed probes fit in 300 s (0, 40, 120, 280 s).
        XCTAssertLessThanOrEqual(failed.count, 4, "\(duringLoad.map(\.decision.reason))")
        XCTAssertEqual(driver.controller.counters.failedRelaxes, failed.count)
        for (a, b) in zip(failed, failed.dropFirst()) {
            XCTAssertGreaterThan(b.decision.time - a.decision.time, 40, "probes are spaced by the back-off")
        }
        XCTAssertTrue(failed.first?.decision.reason.contains("levels ≤ 1 held back 40 s") ?? false, "\(failed.map(\.decision.reason))")

        // Quiet: level 2 measures 4.2 ms, the latency condition factor falls far below (1 − 0.1) of
        // its value at the failure, the back-off lifts and the controller returns to level 0.
        XCTAssertEqual(driver.level, 0, "\(driver.decisions.map(\.decision.reason))")
        let back = try XCTUnwrap(driver.decisions.first { $0.inference > loadEnd && $0.decision.to == 0 })
        XCTAssertLessThanOrEqual(back.inference - loadEnd, 300)
        XCTAssertGreaterThanOrEqual(driver.controller.counters.backoffsLifted, 1)
    }

    func testWithoutTheBackOffTheSameWorldChatters() throws {
        // The control: the same world with the back-off off probes far more often, which is what
        // the back-off prevents (this checks the first test's world really tempts the controller).
        let (withBackoff, loadEnd) = try run(config(backoff: 5, max: 120), loadedSteps: 3000, quietSteps: 0)
        let (without, _) = try run(config(backoff: 0, max: 0), loadedSteps: 3000, quietSteps: 0)
        let switchesWith = withBackoff.decisions.filter { $0.inference <= loadEnd }.count
        let switchesWithout = without.decisions.filter { $0.inference <= loadEnd }.count
        XCTAssertGreaterThan(switchesWithout, 3 * switchesWith, "with \(switchesWith), without \(switchesWithout)")
    }

    func testARelaxThatHoldsForgivesEarlierFailures() throws {
        // Level 1 fails under load; later every level fits, the relax to level 0 holds past the
        // probe time, and a later failure at level 1 starts again from the first back-off.
        var world = loaded
        var noise = CtrlNoise(seed: 9)
        let driver = try CtrlDriver(config(backoff: 5, max: 120))
        let step = { driver.run(steps: $0) { l in CtrlFigures(p95: world[l] * 1e-3 * (1 + 0.1 * noise.next())) } }
        step(600)
        XCTAssertGreaterThanOrEqual(driver.controller.counters.failedRelaxes, 1)
        world = [8.2, 6.6, 4.9, 3.3, 2.5]  // the table's ratios again: every level fits
        step(600)
        XCTAssertEqual(driver.level, 0, "\(driver.decisions.map(\.decision.reason))")
        world = loaded
        let before = driver.decisions.count
        step(600)
        let again = driver.decisions.dropFirst(before).filter { $0.decision.reason.contains("failed") }
        XCTAssertTrue(again.first?.decision.reason.contains("(1×)") ?? false, "\(again.map(\.decision.reason))")
    }

    func testConfigRejectsABackOffCapBelowTheBackOff() {
        ctrlAssertThrows("relaxBackoffMaxSeconds 1.0 is below relaxBackoffSeconds 5.0") {
            try ControllerConfig(relaxBackoffSeconds: 5, relaxBackoffMaxSeconds: 1).validate()
        }
        ctrlAssertThrows("relaxProbeSeconds is -1") { try ControllerConfig(relaxProbeSeconds: -1).validate() }
    }
}
