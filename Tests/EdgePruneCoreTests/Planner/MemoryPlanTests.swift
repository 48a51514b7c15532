import XCTest
@testable import EdgePruneCore

final class MemoryPlanTests: XCTestCase {
    func testBuffersAliveTogetherNeverOverlap() {
        var rng = TestRandom(seed: 8)
        for _ in 0..<200 {
            let requests = (0..<rng.int(1...30)).map { _ -> MemoryPlan.Request in
                let first = rng.int(-1...20)
                return .init(bytes: rng.int(0...5000), firstStep: first, lastStep: first + rng.int(0...8))
            }
            let plan = MemoryPlan(requests)
            for i in requests.indices {
                XCTAssertEqual(plan.offsets[i] % 64, 0)
                XCTAssertLessThanOrEqual(plan.offsets[i] + requests[i].bytes, plan.arenaBytes)
                for j in requests.indices where j > i {
                    let (a, b) = (requests[i], requests[j])
                    guard a.firstStep <= b.lastStep && b.firstStep <= a.lastStep, a.bytes > 0, b.bytes > 0 else { continue }
                    let disjoint = plan.offsets[i] + a.bytes <= plan.offsets[j] || plan.offsets[j] + b.bytes <= plan.offsets[i]
                    XCTAssertTrue(disjoint, "buffers \(i) and \(j) overlap")
                }
            }
        }
    }

    func testSequentialBuffersReuseMemory() {
        // A chain: each buffer dies when the next is written, so two slots suffice.
        let requests = (0..<10).map { MemoryPlan.Request(bytes: 1024, firstStep: $0, lastStep: $0 + 1) }
        XCTAssertEqual(MemoryPlan(requests).arenaBytes, 2048)
    }
}
