import XCTest
import EdgePruneCore
import EdgePrunePruning
@testable import EdgePruneAdaptive

/// One thread runs inferences continuously on the 1.1M-parameter MLP (a pseudo-random nested
/// ladder over its weights) and checks every output
/// against the reference of the level it ran on, while another switches levels as fast as it
/// can: mostly swaps between kept levels, with the kept plans dropped every 16th switch so the
/// following switches re-build plans while inferences run, some on the background worker. Every output must equal one level's reference bit for bit: never a mixture of levels.
/// Also run under the thread sanitizer (see the report of issue 5).
final class SwitchingConcurrencyTests: XCTestCase {
    func testInferencesNeverSeeAHalfSwitchedModel() throws {
        let g = try SwitchingTestKit.randomLadder("digits_mlp1024")
        let model = try AdaptiveModel(graph: g, options: .init(memoryBudgetBytes: Int.max, measureAllLevelsAtLoad: true))
        let top = model.topLevel
        XCTAssertEqual(top, 3)
        let x = try SwitchingTestKit.mlpSamples(1)[0]
        var references: [[UInt8]] = []
        for level in 0...top {
            try model.switchTo(level: level)
            references.append(SwitchingTestKit.bytes(try model.infer(input: x)))
        }
        XCTAssertEqual(Set(references).count, top + 1, "every level gives a different output, so a mixture would show")

        let state = ConcurrencyState()
        let expected = references
        let inference = Thread {
            var runs = 0, wrong = 0, unknown = 0
            var seen = Set<Int>()
            while !state.stopped {
                let (out, level) = model.run { plan, level -> ([UInt8], Int) in
                    plan.inputs[0].pointer.copyMemory(from: x.raw, byteCount: x.byteCount)
                    plan.run()
                    let o = plan.outputs[0]
                    return (Array(UnsafeRawBufferPointer(start: o.pointer, count: o.type.byteCount)), level)
                }
                runs += 1
                seen.insert(level)
                if out != expected[level] { wrong += 1 }
                if !expected.contains(out) { unknown += 1 }
            }
            state.finish(runs: runs, wrong: wrong, unknown: unknown, levels: seen)
        }
        inference.start()

        let seconds = ProcessInfo.processInfo.environment["EDGEPRUNE_SWITCH_TEST_SECONDS"].flatMap(Double.init) ?? 3
        let start = Date()
        var switches = 0, asyncPrepares = 0
        var target = 0
        // At least `seconds` and 40 switches (sanitizer builds are slow to re-plan), at most a minute.
        while (Date().timeIntervalSince(start) < seconds || switches < 40) && Date().timeIntervalSince(start) < 60 {
            target = (target + 1 + switches % top) % (top + 1)
            if switches % 16 == 0 { model.dropPreparedLevels() }  // the next switches rebuild plans
            if switches % 3 == 0 {
                // Prepare on the model's worker thread, then switch (a cache hit unless evicted).
                let done = DispatchSemaphore(value: 0)
                model.prepareAsync(level: target) { result in
                    if case .failure(let e) = result { XCTFail("async prepare failed: \(e)") }
                    done.signal()
                }
                done.wait()
                asyncPrepares += 1
            }
            try model.switchTo(level: target)
            switches += 1
        }
        state.stop()
        let r = state.waitForResult()
        XCTAssertGreaterThan(r.runs, 20, "the inference thread ran")
        XCTAssertGreaterThanOrEqual(switches, 40, "the switching thread switched")
        XCTAssertEqual(r.wrong, 0, "outputs that differ from their level's reference")
        XCTAssertEqual(r.unknown, 0, "outputs that match no level (a mixture)")
        XCTAssertGreaterThan(r.levels.count, 1, "inferences ran on more than one level")
        let s = model.stats
        XCTAssertEqual(s.switches, switches + top, "every switch counted (plus the reference switches)")
        XCTAssertGreaterThan(s.warmPrepares, 0, "switches rebuilt plans")
        XCTAssertEqual(s.failedPrepares, 0)
        print("switching concurrency: \(r.runs) inferences on levels \(r.levels.sorted()), \(switches) switches (\(asyncPrepares) prepared on the worker), \(s.warmPrepares) warm builds, max swap pause \(String(format: "%.1f", (s.maxSwapPauseSeconds ?? 0) * 1e6)) us")
    }
}

/// Flags and results shared by the test's threads, under a lock.
final class ConcurrencyState: @unchecked Sendable {
    struct Result { var runs = 0, wrong = 0, unknown = 0; var levels: Set<Int> = [] }
    private let condition = NSCondition()
    private var stopFlag = false
    private var result: Result?

    var stopped: Bool { condition.lock(); defer { condition.unlock() }; return stopFlag }
    func stop() { condition.lock(); stopFlag = true; condition.unlock() }

    func finish(runs: Int, wrong: Int, unknown: Int, levels: Set<Int>) {
        condition.lock()
        result = Result(runs: runs, wrong: wrong, unknown: unknown, levels: levels)
        condition.broadcast()
        condition.unlock()
    }

    func waitForResult() -> Result {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return result!
    }
}
