import EdgePruneCore
@testable import EdgePruneDaemon
import Foundation
import XCTest

/// The running sum of remote overlays the daemon persists: applying it once equals applying the
/// overlays in turn, and keys no overlay touched follow the local file.
final class OverlayMergeTests: XCTestCase {
    private let local = """
        source: {udp: {port: 9000}}
        http: {token_file: /t}
        budgets: {latency_p95_ms: 5, power_w: 3.5, accuracy_floor: 0.9}
        controller: {hysteresis: 0.2, max_level: 4}

        """

    func testTheSumAppliesLikeTheOverlaysInTurn() throws {
        let base = try ConfigTestKit.parse(local)
        let overlays = ["budgets: {latency_p95_ms: 4}\n", "{\"controller\": {\"cooldown_seconds\": 3}, \"log\": {\"level\": \"debug\"}}",
                        "budgets: {power_w: null, latency_p95_ms: 2.5}\n", "controller: {hysteresis: 0.05, max_level: null}\n"]
        var inTurn = base
        var sum: [UInt8]? = nil
        for o in overlays {
            inTurn = try inTurn.applyingRemoteOverlay(Array(o.utf8), source: "test")
            sum = try DaemonConfig.mergeRemoteOverlays(sum, Array(o.utf8))
        }
        let once = try base.applyingRemoteOverlay(try XCTUnwrap(sum), source: "the sum")
        XCTAssertEqual(once, inTurn)
        XCTAssertEqual(once.budgets.latencyP95Ms, 2.5)
        XCTAssertNil(once.budgets.powerW, "null removes the budget, and the sum keeps the removal")
        XCTAssertNil(once.controller.maxLevel)
        XCTAssertEqual(once.controller.cooldownSeconds, 3)
        XCTAssertEqual(once.log.level, .debug)
    }

    func testKeysNoOverlayTouchedFollowTheLocalFile() throws {
        let sum = try DaemonConfig.mergeRemoteOverlays(nil, Array("budgets: {latency_p95_ms: 4}\n".utf8))
        let edited = try ConfigTestKit.parse(local.replacingOccurrences(of: "accuracy_floor: 0.9", with: "accuracy_floor: 0.8"))
        let restarted = try edited.applyingRemoteOverlay(sum, source: "the sum")
        XCTAssertEqual(restarted.budgets.latencyP95Ms, 4, "the remote change stays")
        XCTAssertEqual(restarted.budgets.accuracyFloor, 0.8, "the local edit is not overridden")
        XCTAssertEqual(restarted.controller.hysteresis, 0.2)
    }

    func testStringsAndNumbersKeepTheirKind() throws {
        let sum = try DaemonConfig.mergeRemoteOverlays(nil, Array("budgets: {priority: budget-first, latency_p95_ms: 3}\nlog: {level: \"warning\"}\n".utf8))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(sum)) as? [String: [String: Any]])
        XCTAssertEqual(json["budgets"]?["priority"] as? String, "budget-first")
        XCTAssertEqual(json["budgets"]?["latency_p95_ms"] as? Int, 3)
        XCTAssertEqual(json["log"]?["level"] as? String, "warning")
    }
}
