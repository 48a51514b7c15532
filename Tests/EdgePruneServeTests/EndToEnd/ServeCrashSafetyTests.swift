import DaemonTestSupport
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// kill -9 during config and model updates, at least 50 times: every restart comes up healthy on
/// a valid state, the old or the new one, never a mixture (config version and its budget agree;
/// the model is one of the two uploaded).
final class ServeCrashSafetyTests: XCTestCase {
    func testSIGKILLDuringConfigAndModelUpdatesAlwaysRestartsOnAValidState() async throws {
        let kills = Int(ProcessInfo.processInfo.environment["EDGEPRUNE_CRASH_KILLS"] ?? "") ?? 50
        let d = try DaemonHarness(tag: "serve-crash")
        let models = [try DaemonHarness.ladderModel("0.5,0.8"), try DaemonHarness.ladderModel("0.3,0.6,0.9")]
        let modelBytes = try models.map { try Array(Data(contentsOf: $0)) }
        let levelsOf = [3, 4]
        try d.writeConfig(model: models[0], rate: 500, persistSeconds: 1)
        var rng = SystemRandomNumberGenerator()
        var lastAcknowledged = 0  // highest config version the daemon answered 200 for
        var versionsSeen = Set<Int>()
        var restarts = 0
        var onUploadedModel = 0
        for round in 0..<kills {
            try await d.start(timeout: 30)
            // The state it came up on must be consistent: version v carries latency budget v ms.
            let s = try await d.status()
            let version = s["config_version"] as? Int ?? -1
            let budget = (s["budgets"] as? [String: Any])?["latency_p95_ms"] as? Double
            XCTAssertGreaterThanOrEqual(version, lastAcknowledged, "round \(round): an acknowledged config was lost")
            if version > 0 { XCTAssertEqual(budget, Double(version), "round \(round): version \(version) with budget \(budget ?? -1)") }
            XCTAssertTrue(levelsOf.contains(s["levels"] as? Int ?? -1), "round \(round): \(s["levels"] ?? "nil") levels")
            versionsSeen.insert(version)
            if s["levels"] as? Int == 4 { onUploadedModel += 1 }
            if round > 0 { restarts += 1 }

            // Fire updates and kill at a random moment while they run.
            let next = version + 1
            let killAfter = UInt64.random(in: 0...150_000_000, using: &rng)
            let client = d.client, auth = d.auth
            let updates = Task { [modelBytes] in
                var acked = 0
                for v in next..<(next + 20) {
                    let r = try? await client.send("PUT", "/config", headers: auth, body: Array("budgets: {latency_p95_ms: \(v)}\n".utf8))
                    if r?.status == 200 { acked = v }
                    if v % 3 == 0 { _ = try? await client.send("POST", "/model", headers: auth, body: modelBytes[v % 2]) }
                }
                return acked
            }
            try await Task.sleep(nanoseconds: killAfter)
            d.kill9()
            let acked = await updates.value
            lastAcknowledged = max(lastAcknowledged, acked)
        }
        try await d.start(timeout: 30)
        let final = try await d.status()
        XCTAssertGreaterThanOrEqual(final["config_version"] as? Int ?? -1, lastAcknowledged)
        XCTAssertEqual(d.terminate(), 0)
        print("crash safety: \(kills) SIGKILLs, \(restarts + 1) restarts, every one healthy on a consistent state; "
              + "config versions found after restarts: \(versionsSeen.count) distinct (last acknowledged \(lastAcknowledged)); "
            + "\(onUploadedModel) restarts on the uploaded 4-level model")
        XCTAssertGreaterThan(onUploadedModel, 0, "model uploads should have landed before some kills")
        XCTAssertGreaterThanOrEqual(restarts, kills - 1)
        XCTAssertGreaterThan(versionsSeen.count, kills / 5, "the kills should land at many different points: \(versionsSeen.sorted())")
    }
}
