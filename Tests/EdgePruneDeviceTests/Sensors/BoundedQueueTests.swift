import Foundation
import XCTest
@testable import EdgePruneDevice

final class BoundedQueueTests: XCTestCase {
    private func assertAccounted(_ s: QueueStats, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(s.pushed, s.popped + UInt64(s.depth) + s.dropped, "every push is popped, queued or dropped", file: file, line: line)
    }

    func testDropOldestKeepsTheNewestAndCounts() throws {
        let q = try BoundedQueue<Int>(capacity: 3)
        XCTAssertEqual(q.policy, .dropOldest)
        for i in 0..<3 { XCTAssertEqual(q.push(i), .accepted) }
        XCTAssertEqual(q.push(3), .acceptedDroppingOldest)
        XCTAssertEqual(q.push(4), .acceptedDroppingOldest)
        XCTAssertEqual([q.pop(timeout: 0), q.pop(timeout: 0), q.pop(timeout: 0)], [2, 3, 4])
        XCTAssertNil(q.pop(timeout: 0))
        let s = q.stats
        XCTAssertEqual(s.droppedOldest, 2)
        XCTAssertEqual(s.dropped, 2)
        assertAccounted(s)
    }

    func testDropNewestKeepsTheOldestAndCounts() throws {
        let q = try BoundedQueue<Int>(capacity: 2, policy: .dropNewest)
        XCTAssertEqual(q.push(0), .accepted)
        XCTAssertEqual(q.push(1), .accepted)
        XCTAssertEqual(q.push(2), .dropped)
        XCTAssertEqual(q.pop(timeout: 0), 0)
        XCTAssertEqual(q.push(3), .accepted)
        XCTAssertEqual([q.pop(timeout: 0), q.pop(timeout: 0)], [1, 3])
        XCTAssertEqual(q.stats.droppedNewest, 1)
        assertAccounted(q.stats)
    }

    func testBlockTimesOutAndDropsTheNewItem() throws {
        let q = try BoundedQueue<Int>(capacity: 1, policy: .block, blockTimeout: 0.05)
        XCTAssertEqual(q.push(1), .accepted)
        let t0 = Date()
        XCTAssertEqual(q.push(2), .dropped)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(t0), 0.04)
        XCTAssertEqual(q.stats.droppedBlocked, 1)
        XCTAssertEqual(q.pop(timeout: 0), 1)
        assertAccounted(q.stats)
    }

    func testBlockWaitsForAConsumer() throws {
        let q = try BoundedQueue<Int>(capacity: 2, policy: .block)
        let n = 200
        let done = expectation(description: "producer finished")
        Thread.detachNewThread {
            for i in 0..<n { q.push(i) }
            done.fulfill()
        }
        var got: [Int] = []
        while got.count < n, let v = q.pop(timeout: 5) { got.append(v) }
        wait(for: [done], timeout: 5)
        XCTAssertEqual(got, Array(0..<n), "blocking loses nothing and keeps order")
        XCTAssertEqual(q.stats.dropped, 0)
        assertAccounted(q.stats)
    }

    func testCloseWakesWaitersAndCountsLatePushes() throws {
        let q = try BoundedQueue<Int>(capacity: 1, policy: .block)
        q.push(1)
        let blocked = expectation(description: "blocked push returns")
        Thread.detachNewThread {
            XCTAssertEqual(q.push(2), .closed)
            blocked.fulfill()
        }
        // Whether the thread is already waiting or not, close() makes its push return .closed.
        Thread.sleep(forTimeInterval: 0.02)
        q.close()
        wait(for: [blocked], timeout: 5)
        XCTAssertEqual(q.pop(timeout: 0), 1, "queued items survive a plain close")
        XCTAssertNil(q.pop(timeout: nil), "closed and empty: pop returns at once")
        XCTAssertEqual(q.push(3), .closed)
        XCTAssertEqual(q.stats.droppedClosed, 2)
        assertAccounted(q.stats)
    }

    func testCloseDiscardingCountsQueuedItems() throws {
        let q = try BoundedQueue<Int>(capacity: 4)
        for i in 0..<3 { q.push(i) }
        q.close(discarding: true)
        XCTAssertNil(q.pop(timeout: 0))
        XCTAssertEqual(q.stats.droppedClosed, 3)
        assertAccounted(q.stats)
    }

    func testPopTimesOut() throws {
        let q = try BoundedQueue<Int>(capacity: 1)
        let t0 = Date()
        XCTAssertNil(q.pop(timeout: 0.05))
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(t0), 0.04)
    }

    func testBadParameters() {
        XCTAssertEqual(edgeError { _ = try BoundedQueue<Int>(capacity: 0) }?.message, "queue capacity must be at least 1, got 0")
        XCTAssertNotNil(edgeError { _ = try BoundedQueue<Int>(capacity: 1, policy: .block, blockTimeout: -1) })
        XCTAssertEqual(BackpressurePolicy(rawValue: "drop-oldest"), .dropOldest)
    }
}
