import XCTest
import EdgePruneCore
@testable import EdgePrunePruning

final class LevelAllocationTests: XCTestCase {
    func ranked(_ scores: [Double]) -> RankedUnits {
        RankedUnits(scores: scores, sizes: Array(repeating: 1, count: scores.count), alreadyPruned: Array(repeating: false, count: scores.count))
    }

    func testLAMPPrunesSupersetsAsTheTargetRises() throws {
        let a = ranked(EvaluationTestKit.values(100, seed: 1).map { Double(abs($0)) })
        let b = ranked(EvaluationTestKit.values(300, seed: 2).map { Double(abs($0)) * 10 })
        var previous = [0, 0]
        for s in stride(from: 0.1, through: 0.9, by: 0.1) {
            let k = try LevelAllocation.global([a, b], sparsity: s, maxSparsity: 1)
            XCTAssertEqual(Double(k[0] + k[1]), s * 400, accuracy: 1)
            XCTAssertTrue(k[0] >= previous[0] && k[1] >= previous[1], "not nested at \(s): \(previous) -> \(k)")
            previous = k
        }
        // LAMP is scale-free: a layer with 10x larger weights is not spared for it.
        let k = try LevelAllocation.global([a, b], sparsity: 0.5, maxSparsity: 1)
        XCTAssertGreaterThan(Double(k[1]) / 300, 0.3)
    }

    func testCapsHoldAndUnreachableTargetsFail() throws {
        let a = ranked(Array(repeating: 0.001, count: 100)), b = ranked(Array(repeating: 1, count: 100))
        let k = try LevelAllocation.global([a, b], sparsity: 0.6, maxSparsity: 0.7)
        XCTAssertLessThanOrEqual(k[0], 70)
        XCTAssertEqual(k[0] + k[1], 120)
        XCTAssertThrowsError(try LevelAllocation.global([a, b], sparsity: 0.9, maxSparsity: 0.7))
    }

    func testAlreadyPrunedUnitsComeFirst() {
        let r = RankedUnits(scores: [0.1, 5, 0.2], sizes: [1, 1, 1], alreadyPruned: [false, true, false])
        XCTAssertEqual(r.order.first, 1)
        XCTAssertEqual(r.units(closestTo: 1, limit: 3), 1)
    }

    func testSensitivityGivesRobustLayersMoreAndNests() throws {
        // Layer 0 loses accuracy fast, layer 1 hardly at all.
        let probes = SensitivityAnalysis.probes
        let fragile = probes.map { $0 * 0.5 }, robust = probes.map { $0 > 0.85 ? 0.05 : 0.0 }
        var previous = [0.0, 0.0]
        for target in [0.3, 0.5, 0.7] {
            let s = try SensitivityAnalysis.allocate(drops: [fragile, robust], sizes: [100, 100], target: target, maxSparsity: 1)
            XCTAssertEqual((s[0] + s[1]) / 2, target, accuracy: 1e-6)
            XCTAssertGreaterThan(s[1], s[0])
            XCTAssertTrue(s[0] >= previous[0] - 1e-9 && s[1] >= previous[1] - 1e-9)
            previous = s
        }
        XCTAssertThrowsError(try SensitivityAnalysis.allocate(drops: [fragile, robust], sizes: [1, 1], target: 0.97, maxSparsity: 1))
    }

    func testCubicScheduleAndLadderParsing() throws {
        let s = try Schedule.cubic(target: 0.8, steps: 4)
        XCTAssertEqual(s.count, 4)
        XCTAssertEqual(s[0], 0.8 * (1 - 0.421875), accuracy: 1e-12)
        XCTAssertEqual(s[3], 0.8, accuracy: 1e-12)
        XCTAssertEqual(try Schedule.parse("0, 0.5,0.7"), [0.5, 0.7])
        for bad in ["0.5,0.5", "0.7,0.5", "1", "x", "", "0"] { XCTAssertThrowsError(try Schedule.parse(bad), bad) }
        XCTAssertThrowsError(try Schedule.cubic(target: 1, steps: 3))
        XCTAssertThrowsError(try Schedule.cubic(target: 0.5, steps: 0))
    }
}
