import XCTest
import EdgePruneCore
@testable import EdgePruneAdaptive

final class LevelProfileTableTests: XCTestCase {
    func testEWMAOnTheActiveLevelMovesOtherLevelsByTheSameFactor() throws {
        var t = try ctrlTable(alpha: 0.25)
        t.update(level: 1, latencyP95: 0.016)  // expected 8 ms, measured 16 ms
        let e1 = try XCTUnwrap(t.expected(level: 1)?.latencyP95)
        XCTAssertEqual(e1, 0.75 * 0.008 + 0.25 * 0.016, accuracy: 1e-15)  // 10 ms
        let factor = e1 / 0.008
        for (k, ms) in [10.0, 8, 6, 4, 3].enumerated() {
            XCTAssertEqual(t.expected(level: k)?.latencyP95 ?? .nan, ms * 1e-3 * factor, accuracy: 1e-15, "level \(k)")
        }
        // Repeated measurements converge on the measured figure.
        for _ in 0..<200 { t.update(level: 1, latencyP95: 0.016) }
        XCTAssertEqual(t.expected(level: 1)?.latencyP95 ?? .nan, 0.016, accuracy: 1e-9)
        XCTAssertEqual(t.expected(level: 0)?.latencyP95 ?? .nan, 0.020, accuracy: 1e-9)
        // Energy has its own factor; latency ratios are unchanged by it.
        t.update(level: 0, energyPerInference: 0.02)
        XCTAssertEqual(t.expected(level: 0)?.energyPerInference ?? .nan, 0.75 * 0.01 + 0.25 * 0.02, accuracy: 1e-15)
        XCTAssertEqual(t.ratio(.latency, from: 0, to: 2) ?? .nan, 0.6, accuracy: 1e-12)
    }

    func testAccuracyIsPerLevel() throws {
        var t = try ctrlTable(alpha: 0.5)
        t.update(level: 3, accuracy: 0.5)
        XCTAssertEqual(t.expected(level: 3)?.accuracy ?? .nan, 0.5 * 0.88 + 0.5 * 0.5, accuracy: 1e-15)
        XCTAssertEqual(t.expected(level: 2)?.accuracy, 0.92, "other levels' accuracy does not move")
    }

    func testInvalidFiguresAreIgnored() throws {
        var t = try ctrlTable()
        let before = t
        for bad in [Double.nan, -0.001, .infinity, 0] { t.update(level: 1, latencyP95: bad, energyPerInference: bad) }
        t.update(level: 1, accuracy: 1.5)
        t.update(level: 1, accuracy: .nan)
        t.update(level: 9, latencyP95: 0.1)
        t.learnRatio(.latency, from: 0, measured: .nan, to: 1, measured: 0.01)
        t.learnRatio(.latency, from: 0, measured: 0.01, to: 0, measured: 0.02)
        XCTAssertEqual(t, before)
        XCTAssertNil(t.expected(level: 5))
        XCTAssertNil(t.expected(level: -1))
    }

    func testLearnRatioBlendsAndFillsUnknownLevels() throws {
        var t = try LevelProfileTable(profiles: [
            LevelProfile(level: 0, sparsity: 0, latencyP95: 0.010),
            LevelProfile(level: 1, sparsity: 0.5, latencyP95: 0.005),
            LevelProfile(level: 2, sparsity: 0.9),
        ], alpha: 0.2, ratioAlpha: 0.5)
        t.learnRatio(.latency, from: 0, measured: 0.012, to: 1, measured: 0.0096)  // measured ratio 0.8
        XCTAssertEqual(t.ratio(.latency, from: 0, to: 1) ?? .nan, 0.5 * 0.5 + 0.5 * 0.8, accuracy: 1e-12)
        XCTAssertNil(t.ratio(.latency, from: 0, to: 2))
        t.learnRatio(.latency, from: 0, measured: 0.010, to: 2, measured: 0.003)
        XCTAssertEqual(t.ratio(.latency, from: 0, to: 2) ?? .nan, 0.3, accuracy: 1e-12, "an unknown level takes the ratio outright")
        // Energy unknown everywhere: its ratio falls back to latency.
        XCTAssertEqual(t.ratio(.energy, from: 0, to: 2) ?? .nan, 0.3, accuracy: 1e-12)
    }

    func testSeededFromALadder() throws {
        let ladder = SparsityLadder(method: "magnitude", granularity: "unstructured", scope: "global", levels: [
            LadderLevel(sparsity: 0, macs: 1000, accuracy: 0.95, latencyMicros: 100),
            LadderLevel(sparsity: 0.5, macs: 500, accuracy: 0.94, latencyMicros: 60),
            LadderLevel(sparsity: 0.9, macs: 100, accuracy: .nan),  // no latency: seeded from MACs
        ], codes: [:])
        let t = try LevelProfileTable(ladder: ladder, energy: { k, level in Double(level.macs) * 1e-9 + (k == 0 ? 0 : .nan) })
        XCTAssertEqual(t.count, 3)
        XCTAssertEqual(t.expected(level: 0)?.latencyP95 ?? .nan, 100e-6, accuracy: 1e-15)
        XCTAssertEqual(t.expected(level: 1)?.latencyP95 ?? .nan, 60e-6, accuracy: 1e-15)
        // Seconds per MAC averaged over levels 0 (1e-7) and 1 (1.2e-7): 1.1e-7 × 100 MACs.
        XCTAssertEqual(t.expected(level: 2)?.latencyP95 ?? .nan, 1.1e-5, accuracy: 1e-15)
        XCTAssertEqual(t.expected(level: 1)?.accuracy, 0.94)
        XCTAssertNil(t.expected(level: 2)?.accuracy, "a NaN offline accuracy is unknown")
        XCTAssertEqual(t.expected(level: 0)?.energyPerInference ?? .nan, 1e-6, accuracy: 1e-18)
        XCTAssertNil(t.expected(level: 1)?.energyPerInference, "a NaN from the energy closure is unknown")
        XCTAssertEqual(t.expected(level: 2)?.sparsity, 0.9)
    }

    func testProfileValidation() {
        ctrlAssertThrows("no levels") { _ = try LevelProfileTable(profiles: []) }
        ctrlAssertThrows("entry 0 describes level 1") { _ = try LevelProfileTable(profiles: [LevelProfile(level: 1, sparsity: 0)]) }
        ctrlAssertThrows("level 0 latencyP95 is -1.0") {
            _ = try LevelProfileTable(profiles: [LevelProfile(level: 0, sparsity: 0, latencyP95: -1)])
        }
        ctrlAssertThrows("level 0 accuracy is 1.5") {
            _ = try LevelProfileTable(profiles: [LevelProfile(level: 0, sparsity: 0, accuracy: 1.5)])
        }
        ctrlAssertThrows("alpha is 0.0") { _ = try LevelProfileTable(profiles: [LevelProfile(level: 0, sparsity: 0)], alpha: 0) }
    }

    func testControllerFoldsMeasurementsAtTheActiveLevelOnly() throws {
        let c = try Controller(config: ControllerConfig(latencyP95Budget: 1, minLatencySamples: 20), table: ctrlTable(alpha: 0.5),
                               initialLevel: 2)
        _ = c.observe(MonitorSnapshot(time: 1, level: 2, inferencesAtLevel: 10, latencyP95: 0.012))
        XCTAssertEqual(c.table.expected(level: 2)?.latencyP95, 0.006, "10 inferences < minLatencySamples: not folded")
        _ = c.observe(MonitorSnapshot(time: 2, level: 2, inferencesAtLevel: 20, latencyP95: 0.012))
        XCTAssertEqual(c.table.expected(level: 2)?.latencyP95 ?? .nan, 0.009, accuracy: 1e-15)
        XCTAssertEqual(c.table.expected(level: 0)?.latencyP95 ?? .nan, 0.015, accuracy: 1e-15)
    }
}
