@testable import EdgePruneServe
import XCTest

/// The window ring and the labelled-sample buffer: bounded, matched by inference id, each window
/// labelled once, bad labels counted and dropped.
final class RecoverySamplesTests: XCTestCase {
    private func window(_ v: Float, count: Int = 3) -> [Float] { [Float](repeating: v, count: count) }

    func testLabelsMatchKeptWindowsOnly() {
        let s = RecoverySamples(inputCount: 3, classes: 4, windowCapacity: 4, maxSamples: 10)
        for id in 1...6 { window(Float(id)).withUnsafeBufferPointer { s.record(id: UInt64(id), input: $0) } }
        // Ids 1 and 2 were pushed out of the 4-slot ring by 5 and 6.
        XCTAssertFalse(s.label(id: 1, label: 0))
        XCTAssertFalse(s.label(id: 2, label: 0))
        XCTAssertTrue(s.label(id: 5, label: 2))
        XCTAssertFalse(s.label(id: 5, label: 3), "a window is labelled once")
        XCTAssertFalse(s.label(id: 3, label: 4), "out of the model's classes")
        XCTAssertFalse(s.label(id: 3, label: -1))
        XCTAssertTrue(s.label(id: 3, label: 1), "the refused label did not use the window up")
        XCTAssertFalse(s.label(id: 99, label: 1), "never seen")
        XCTAssertFalse(s.label(id: 0, label: 1))
        let st = s.stats
        XCTAssertEqual(st.windows, 6)
        XCTAssertEqual(st.labelled, 2)
        XCTAssertEqual(st.unmatched, 5)
        XCTAssertEqual(st.outOfRange, 2)
        XCTAssertEqual(s.count.samples, 2)
        XCTAssertEqual(s.count.new, 2)
        let (x, y) = s.take()
        XCTAssertEqual(x, window(5) + window(3))
        XCTAssertEqual(y, [2, 1])
        XCTAssertEqual(s.count.new, 0)
        XCTAssertEqual(s.count.samples, 2, "take copies; the samples stay for later runs")
        // An input of the wrong size is not recorded.
        [Float](repeating: 1, count: 2).withUnsafeBufferPointer { s.record(id: 7, input: $0) }
        XCTAssertFalse(s.label(id: 7, label: 0))
    }

    func testTheSampleBufferKeepsTheNewest() {
        let s = RecoverySamples(inputCount: 2, classes: 10, windowCapacity: 16, maxSamples: 3)
        for id in 1...5 {
            window(Float(id), count: 2).withUnsafeBufferPointer { s.record(id: UInt64(id), input: $0) }
            XCTAssertTrue(s.label(id: UInt64(id), label: id))
        }
        XCTAssertEqual(s.count.samples, 3)
        XCTAssertEqual(s.count.new, 3)
        XCTAssertEqual(s.stats.evicted, 2)
        let (x, y) = s.take()
        XCTAssertEqual(y, [3, 4, 5], "oldest first")
        XCTAssertEqual(x, [3, 3, 4, 4, 5, 5])
        XCTAssertEqual(RecoverySamples.bytes(inputCount: 64, windowCapacity: 1024, maxSamples: 2000), 3024 * 64 * 4)
    }
}
