import XCTest
import EdgePruneCore
@testable import EdgePruneDevice

final class ModelEnergyEstimatorTests: XCTestCase {
    private let profile = BoardProfile(name: "test", model: "Test board", cores: 4, idleWatts: 2, activeWattsPerCore: 0.5,
                                       joulesPerMAC: 1e-9, joulesPerByte: 1e-8, source: "made up for the test",
                                       estimateNotes: "")

    func testInferenceEnergyFollowsTheFormula() {
        let e = ModelEnergyEstimator(profile: profile)
        // 0.5 W · 2 cores · 0.01 s + 1e-9 · 1e6 + 1e-8 · 4e5 = 0.01 + 0.001 + 0.004
        XCTAssertEqual(e.inferenceJoules(seconds: 0.01, busyCores: 2, macs: 1e6, bytes: 4e5), 0.015, accuracy: 1e-15)
        XCTAssertEqual(e.boardJoules(seconds: 0.01, busyCores: 2, macs: 1e6, bytes: 4e5), 0.035, accuracy: 1e-15)
        // Fewer MACs and bytes (a pruned level) at equal time cost less.
        XCTAssertLessThan(e.inferenceJoules(seconds: 0.01, busyCores: 2, macs: 1e5, bytes: 4e4),
                          e.inferenceJoules(seconds: 0.01, busyCores: 2, macs: 1e6, bytes: 4e5))
    }

    func testBadInputsCountAsZeroAndCoresAreClamped() {
        let e = ModelEnergyEstimator(profile: profile)
        XCTAssertEqual(e.inferenceJoules(seconds: .nan, busyCores: 2, macs: -5, bytes: .infinity), 0)
        XCTAssertEqual(e.inferenceJoules(seconds: 1, busyCores: 16, macs: 0, bytes: 0), 2.0, "4 cores at most")
        XCTAssertEqual(e.inferenceJoules(seconds: 1, busyCores: -1, macs: 0, bytes: 0), 0)
    }

    func testAveragePower() {
        let e = ModelEnergyEstimator(profile: profile)
        XCTAssertEqual(e.averagePower(window: 10, inferenceJoules: 5), 2.5)
        XCTAssertEqual(e.averagePower(window: 10, inferenceJoules: 0), 2)
        XCTAssertNil(e.averagePower(window: 0, inferenceJoules: 5))
        XCTAssertNil(e.averagePower(window: .nan, inferenceJoules: 5))
    }
}
