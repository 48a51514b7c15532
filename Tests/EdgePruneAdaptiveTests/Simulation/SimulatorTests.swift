import Foundation
import XCTest
import EdgePruneCore
@testable import EdgePruneAdaptive

/// The bundled scenarios meet the acceptance figures, deterministically.
final class SimulatorTests: XCTestCase {
    static func scenario(_ name: String) throws -> Scenario {
        let root = "\(#filePath)".components(separatedBy: "/Tests/").first!
        return try Scenario.load(root + "/scenarios/\(name).json")
    }

    func testLoadStepTightensWithin50AndRecoversWithin300() throws {
        let s = try Self.scenario("load_step")
        let r = try Simulator.run(s)
        let load = try XCTUnwrap(r.figures.loadResponses.first)
        XCTAssertLessThanOrEqual(try XCTUnwrap(load.inferencesToBudget), 50)
        XCTAssertEqual(try XCTUnwrap(load.inferencesToFirstUnderBudget), try XCTUnwrap(load.inferencesToBudget),
                       "a steady simulated load: the first return is for good")
        XCTAssertEqual(try XCTUnwrap(load.overBudgetShareAfterReturn), 0, "the simulated load is steady: no excursion after the return")
        XCTAssertEqual(load.recoveredLevel, 0)
        XCTAssertLessThanOrEqual(try XCTUnwrap(load.inferencesToRecover), 300)
        XCTAssertLessThanOrEqual(r.figures.longestBelowFloor, s.controller.cooldownInferences)
        XCTAssertGreaterThanOrEqual(r.decisions.count, 2, "it must tighten and relax")
    }

    func testAccuracyDriftRelaxesWithin100FeedbacksWithoutOscillating() throws {
        let r = try Simulator.run(try Self.scenario("accuracy_drift"))
        let drift = try XCTUnwrap(r.figures.driftResponses.first)
        XCTAssertLessThanOrEqual(try XCTUnwrap(drift.feedbacksToRelax), 100)
        XCTAssertLessThanOrEqual(try XCTUnwrap(r.figures.steadySwitchesPer1000), 2)
        // After the drift the active level's true accuracy ends above the floor.
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(r.steps.last).trueAccuracy, 0.9)
    }

    func testTighteningEnergyBudgetIsFollowed() throws {
        let s = try Self.scenario("energy_budget")
        let r = try Simulator.run(s)
        let last = try XCTUnwrap(r.steps.last)
        XCTAssertLessThanOrEqual(try XCTUnwrap(last.energyMj), 0.06)
        XCTAssertLessThanOrEqual(try XCTUnwrap(r.figures.steadySwitchesPer1000), 2)
        XCTAssertEqual(r.decisions.map(\.to).last, 4)
    }

    func testRunsAreDeterministic() throws {
        let s = try Self.scenario("load_step")
        let a = try Simulator.run(s), b = try Simulator.run(s)
        XCTAssertEqual(a.decisions, b.decisions)
        XCTAssertEqual(a.steps.map(\.latencyMs), b.steps.map(\.latencyMs))
    }

    func testBadScenariosAreRefusedWithTheField() throws {
        var s = try Self.scenario("load_step")
        s.initialLevel = 9
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("initial_level"), "\($0)") }
        s = try Self.scenario("load_step")
        s.levels[1].accuracy = 1.5
        XCTAssertThrowsError(try Simulator.run(s)) { XCTAssertTrue("\($0)".contains("level 1"), "\($0)") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(getpid())-\(UUID().uuidString).json")
        try Data("{\"name\": \"x\"}".utf8).write(to: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try Scenario.load(dir.path)) { XCTAssertTrue("\($0)".contains("missing field"), "\($0)") }
    }
}
