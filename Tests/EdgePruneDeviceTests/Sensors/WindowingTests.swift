import XCTest
import EdgePruneCore
@testable import EdgePruneDevice

final class WindowingTests: XCTestCase {
    func testOverlappingWindowsHoldTheRightSamplesInOrder() throws {
        let w = try Windower(size: 4, hop: 2, channels: 2)
        var windows: [SensorWindow] = []
        for i in 0..<10 {
            if let win = try w.append(sample([Float(i), Float(100 + i)], at: Double(i))) { windows.append(win) }
        }
        // Windows end at samples 3, 5, 7, 9.
        XCTAssertEqual(windows.map(\.sequence), [0, 1, 2, 3])
        XCTAssertEqual(windows.map(\.endTime), [3, 5, 7, 9])
        XCTAssertEqual(windows.map(\.startTime), [0, 2, 4, 6])
        XCTAssertEqual(windows[1].values, [2, 102, 3, 103, 4, 104, 5, 105])
        XCTAssertEqual(windows[3].value(frame: 0, channel: 1), 106)
    }

    func testHopLargerThanSizeSkipsSamplesAndChannelMajorLayout() throws {
        let w = try Windower(size: 2, hop: 5, channels: 2, layout: .channelMajor)
        var windows: [SensorWindow] = []
        for i in 0..<13 {
            if let win = try w.append(sample([Float(i), -Float(i)], at: Double(i))) { windows.append(win) }
        }
        // Ends at 1, 6, 11: samples 2..4 and 7..9 are skipped.
        XCTAssertEqual(windows.map(\.endTime), [1, 6, 11])
        XCTAssertEqual(windows[1].values, [5, 6, -5, -6])
        XCTAssertEqual(windows[1].value(frame: 1, channel: 1), -6)
    }

    func testWrongChannelCountThrowsAndChangesNothing() throws {
        let w = try Windower(size: 2, hop: 1, channels: 2)
        XCTAssertNil(try w.append(sample([1, 2])))
        let e = edgeError { _ = try w.append(sample([9])) }
        XCTAssertEqual(e?.message, "sample has 1 values, the window expects 2 channels")
        let win = try XCTUnwrap(try w.append(sample([3, 4])))
        XCTAssertEqual(win.values, [1, 2, 3, 4])
    }

    func testResetNeedsAFullWindowAgain() throws {
        let w = try Windower(size: 3, hop: 1, channels: 1)
        for i in 0..<3 { _ = try w.append(sample([Float(i)])) }
        w.reset()
        XCTAssertNil(try w.append(sample([7])))
        XCTAssertNil(try w.append(sample([8])))
        XCTAssertEqual(try w.append(sample([9]))?.values, [7, 8, 9])
    }

    func testBadWindowParametersAreRefused() {
        XCTAssertEqual(edgeError { _ = try Windower(size: 0, hop: 1, channels: 1) }?.message, "window size must be at least 1, got 0")
        XCTAssertEqual(edgeError { _ = try Windower(size: 4, hop: 0, channels: 1) }?.message, "window hop must be at least 1, got 0")
        XCTAssertEqual(edgeError { _ = try Windower(size: 1 << 20, hop: 1, channels: 64) }?.kind, .limit)
    }

    func testNormalisationPerChannelAndBroadcast() throws {
        let n = try Normalization(mean: [1, 10], std: [2, 5])
        var w = SensorWindow(sequence: 0, startTime: 0, endTime: 0, frames: 2, channels: 2, layout: .timeMajor,
                             values: [3, 20, 5, 0])
        n.apply(to: &w)
        XCTAssertEqual(w.values, [1, 2, 2, -2])
        var c = SensorWindow(sequence: 0, startTime: 0, endTime: 0, frames: 2, channels: 2, layout: .channelMajor,
                             values: [3, 5, 20, 0])
        n.apply(to: &c)
        XCTAssertEqual(c.values, [1, 2, 2, -2])
        let one = try Normalization(mean: [2], std: [4])
        XCTAssertNoThrow(try one.check(channels: 3))
        var b = SensorWindow(sequence: 0, startTime: 0, endTime: 0, frames: 1, channels: 3, layout: .timeMajor, values: [2, 6, -2])
        one.apply(to: &b)
        XCTAssertEqual(b.values, [0, 1, -1])
    }

    func testNormalisationRefusesBadStatistics() throws {
        XCTAssertEqual(edgeError { _ = try Normalization(mean: [0, 0], std: [1, 0]) }?.message,
                       "normalisation std[1] is 0.0; it must be finite and greater than 0")
        XCTAssertNotNil(edgeError { _ = try Normalization(mean: [.nan], std: [1]) })
        XCTAssertNotNil(edgeError { _ = try Normalization(mean: [0], std: [1, 2]) })
        XCTAssertEqual(edgeError { try Normalization(mean: [0, 0], std: [1, 1]).check(channels: 3) }?.message,
                       "normalisation has 2 mean/std pairs for 3 channels (use 1 or 3)")
    }

    func testPipelineWindowsNormalisesQueuesAndCountsBadSamples() throws {
        let clock = VirtualClock()
        // 3-channel CSV-like stream with one 2-value sample in the middle.
        final class Script: SensorSource {
            var items: [SensorReadResult]
            let name = "script", channelCount: Int? = nil, rejectedCount = 0
            init(_ items: [SensorReadResult]) { self.items = items }
            func read(timeout: Double) throws -> SensorReadResult { items.isEmpty ? .finished : items.removeFirst() }
            func close() {}
        }
        var items: [SensorReadResult] = []
        for i in 0..<6 { items.append(.sample(sample([Float(i), Float(i), Float(i)], at: Double(i)))) }
        items.insert(.sample(sample([1, 2])), at: 3)
        items.insert(.timedOut, at: 1)
        let queue = try BoundedQueue<SensorWindow>(capacity: 8)
        let p = try SensorPipeline(source: Script(items), windower: try Windower(size: 2, hop: 2, channels: 3),
                                   normalization: try Normalization(mean: [1], std: [2]), queue: queue)
        _ = clock
        try p.run(shouldStop: { false })
        XCTAssertTrue(p.isFinished)
        XCTAssertEqual(p.samples, 7)
        XCTAssertEqual(p.rejectedSamples, 1)
        XCTAssertEqual(p.windows, 3)
        let first = try XCTUnwrap(queue.pop(timeout: 0))
        XCTAssertEqual(first.values, [-0.5, -0.5, -0.5, 0, 0, 0])
        XCTAssertEqual(queue.stats.depth, 2)
    }

    func testPipelineRefusesAMismatchedSource() throws {
        let src = try ReplaySource(name: "x", values: [1, 2, 3, 4], channels: 2, rate: nil)
        let e = edgeError {
            _ = try SensorPipeline(source: src, windower: try Windower(size: 2, hop: 1, channels: 3),
                                   queue: try BoundedQueue(capacity: 1))
        }
        XCTAssertEqual(e?.message, "source 'replay x' gives 2 channels, the window expects 3")
    }
}
