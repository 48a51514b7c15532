import XCTest
import Foundation
import EdgePruneCore
@testable import EdgePruneAdaptive

final class ControllerConfigTests: XCTestCase {
    func testDefaultsAreValid() throws {
        let c = ControllerConfig()
        try c.validate()
        try c.validate(topLevel: 0)
        XCTAssertEqual(c.priority, .accuracyFirst)
        XCTAssertFalse(c.hasBudget)
        XCTAssertTrue(ControllerConfig(powerBudget: 2).hasBudget)
    }

    func testValidationNamesTheBadField() {
        let cases: [(String, ControllerConfig)] = [
            ("latencyP95Budget is -0.01", ControllerConfig(latencyP95Budget: -0.01)),
            ("latencyP95Budget is 0.0", ControllerConfig(latencyP95Budget: 0)),
            ("energyBudget is nan", ControllerConfig(energyBudget: .nan)),
            ("powerBudget is inf", ControllerConfig(powerBudget: .infinity)),
            ("accuracyFloor is 1.2", ControllerConfig(accuracyFloor: 1.2)),
            ("accuracyFloor is 0.0", ControllerConfig(accuracyFloor: 0)),
            ("denseAccuracy is -0.5", ControllerConfig(denseAccuracy: -0.5)),
            ("hysteresisBand is 1.0", ControllerConfig(hysteresisBand: 1)),
            ("hysteresisBand is -0.1", ControllerConfig(hysteresisBand: -0.1)),
            ("cooldownSeconds is -1.0", ControllerConfig(cooldownSeconds: -1)),
            ("cooldownInferences is -5", ControllerConfig(cooldownInferences: -5)),
            ("rollbackBlockSeconds is nan", ControllerConfig(rollbackBlockSeconds: .nan)),
            ("rollbackWindowInferences is -1", ControllerConfig(rollbackWindowInferences: -1)),
            ("minLatencySamples is 0", ControllerConfig(minLatencySamples: 0)),
            ("minFeedback is 0", ControllerConfig(minFeedback: 0)),
            ("journalCapacity is 0", ControllerConfig(journalCapacity: 0)),
            ("switchTimeoutSeconds is 0.0", ControllerConfig(switchTimeoutSeconds: 0)),
            ("ratioLearningWindowSeconds is -1.0", ControllerConfig(ratioLearningWindowSeconds: -1)),
            ("minLevel is -1", ControllerConfig(minLevel: -1)),
            ("minLevel 3 is above maxLevel 2", ControllerConfig(minLevel: 3, maxLevel: 2)),
        ]
        for (fragment, config) in cases { ctrlAssertThrows(fragment) { try config.validate() } }
        ctrlAssertThrows("minLevel 5 is above the ladder's top level 4") { try ControllerConfig(minLevel: 5).validate(topLevel: 4) }
        ctrlAssertThrows("maxLevel 5 is above the ladder's top level 4") { try ControllerConfig(maxLevel: 5).validate(topLevel: 4) }
        ctrlAssertThrows("hysteresisBand is 1.5") {
            _ = try Controller(config: ControllerConfig(hysteresisBand: 1.5), table: ctrlTable(), initialLevel: 0)
        }
    }

    func testJSONTakesDefaultsForMissingKeysAndRefusesUnknownOnes() throws {
        let json = #"{"latencyP95Budget": 0.02, "priority": "budgetFirst", "maxLevel": 3}"#
        let c = try JSONDecoder().decode(ControllerConfig.self, from: Data(json.utf8))
        var expected = ControllerConfig(latencyP95Budget: 0.02, priority: .budgetFirst)
        expected.maxLevel = 3
        XCTAssertEqual(c, expected)

        XCTAssertThrowsError(try JSONDecoder().decode(ControllerConfig.self, from: Data(#"{"latencyBudget": 0.02}"#.utf8))) { e in
            XCTAssertTrue("\(e)".contains("unknown key 'latencyBudget'"), "\(e)")
        }
        XCTAssertThrowsError(try JSONDecoder().decode(ControllerConfig.self, from: Data(#"{"priority": "speed"}"#.utf8)))

        let full = ControllerConfig(latencyP95Budget: 0.01, energyBudget: 0.002, powerBudget: 3, accuracyFloor: 0.9, denseAccuracy: 0.95,
                                    priority: .budgetFirst, hysteresisBand: 0.2, cooldownInferences: 7, cooldownSeconds: 3, minLevel: 1,
                                    maxLevel: 4, rollbackWindowInferences: 9, rollbackBlockSeconds: 11, minLatencySamples: 13,
                                    minFeedback: 17, switchTimeoutSeconds: 19, ratioLearningWindowSeconds: 23, journalCapacity: 29)
        XCTAssertEqual(try JSONDecoder().decode(ControllerConfig.self, from: JSONEncoder().encode(full)), full)
    }
}
