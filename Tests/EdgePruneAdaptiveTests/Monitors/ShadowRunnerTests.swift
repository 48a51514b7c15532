import XCTest
import EdgePruneCore
import EdgePrunePruning
@testable import EdgePruneAdaptive

/// The shadow runner on the digits MLP with the real test inputs.
final class ShadowRunnerTests: XCTestCase {
    nonisolated(unsafe) private static var cachedLadder: Graph?

    /// digits_mlp with levels 0.5, 0.8, 0.95 (magnitude, global, nothing protected).
    private func ladder() throws -> Graph {
        if let g = ShadowRunnerTests.cachedLadder { return g }
        let g = try MonDigits.ladder([0.5, 0.8, 0.95])
        ShadowRunnerTests.cachedLadder = g
        return g
    }

    /// Runs every test input at `level`, shadows it (waiting whenever the queue is full, so
    /// nothing is dropped), and returns the drained results and the agreement the monitor saw.
    private func shadowAll(level: Int, graph: Graph, queue: Int = 8) throws -> ([ShadowResult], ProportionEstimate?) {
        let (rows, _) = try MonDigits.testSplit()
        let active = try MonLevelRunner(graph, level: level)
        let runner = try ShadowRunner(denseGraph: graph, queueCapacity: queue, resultCapacity: rows.count)
        defer { runner.shutdown() }
        let monitor = try AccuracyMonitor(classes: 10, window: rows.count, shadowFraction: 1)
        var results: [ShadowResult] = []
        for (i, row) in rows.enumerated() {
            let top1 = active.run(row).top1
            while !row.withUnsafeBufferPointer({ runner.submit(id: UInt64(i), level: level, activeTop1: top1, input: $0) }) {
                runner.waitUntilIdle()
            }
            if i % 50 == 49 { runner.drain { results.append($0) } }
        }
        runner.waitUntilIdle()
        runner.drain { results.append($0) }
        for r in results { monitor.recordShadow(level: r.level, activeTop1: r.activeTop1, denseTop1: r.denseTop1) }
        XCTAssertEqual(runner.counters.completed, rows.count)
        XCTAssertEqual(runner.counters.resultsDropped, 0)
        return (results, monitor.agreement(level: level))
    }

    func testAgreementIsOneWhenTheActiveModelIsTheDenseModel() throws {
        let (results, agreement) = try shadowAll(level: 0, graph: try ladder())
        XCTAssertEqual(results.map(\.id), (0..<360).map(UInt64.init), "results come back in submission order")
        XCTAssertEqual(agreement, ProportionEstimate(successes: 360, trials: 360))
    }

    func testAgreementDropsAtAHeavilyPrunedLevelAndEqualsTheOfflineFigure() throws {
        let graph = try ladder()
        let (results, agreement) = try shadowAll(level: 3, graph: graph)
        // Offline: dense and level-3 predictions computed directly.
        let (rows, _) = try MonDigits.testSplit()
        let dense = try MonLevelRunner(graph, level: 0), pruned = try MonLevelRunner(graph, level: 3)
        let offlineAgree = rows.filter { dense.run($0).top1 == pruned.run($0).top1 }.count
        XCTAssertEqual(results.map(\.denseTop1), rows.map { dense.run($0).top1 }, "the runner's dense top-1 is the dense model's")
        let a = try XCTUnwrap(agreement)
        XCTAssertEqual(a.successes, offlineAgree)
        XCTAssertLessThan(a.rate, 0.98, "95% sparsity with nothing protected should disagree with dense somewhere")
        XCTAssertGreaterThan(a.rate, 0.1)
    }

    func testRunsAreDeterministic() throws {
        let graph = try ladder()
        let (first, a1) = try shadowAll(level: 2, graph: graph, queue: 3)
        let (second, a2) = try shadowAll(level: 2, graph: graph, queue: 64)
        XCTAssertEqual(first, second)
        XCTAssertEqual(a1, a2)
    }

    func testAFullQueueDropsAndCountsWithoutBlocking() throws {
        // The 1024-wide MLP takes far longer per dense run than a submit takes, so a burst of 200
        // submits into a queue of 2 must overflow.
        let graph = try MonDigits.model("digits_mlp1024")
        let (rows, _) = try MonDigits.testSplit()
        let runner = try ShadowRunner(denseGraph: graph, queueCapacity: 2, resultCapacity: 1024)
        defer { runner.shutdown() }
        var accepted = 0
        for i in 0..<200 {
            if rows[i].withUnsafeBufferPointer({ runner.submit(id: UInt64(i), level: 1, activeTop1: 0, input: $0) }) { accepted += 1 }
        }
        runner.waitUntilIdle()
        let c = runner.counters
        XCTAssertGreaterThan(c.dropped, 0, "a burst into a queue of 2 dropped nothing")
        XCTAssertEqual(c.submitted, accepted)
        XCTAssertEqual(c.submitted + c.dropped, 200)
        XCTAssertEqual(c.completed, c.submitted)
        var drained: [ShadowResult] = []
        XCTAssertEqual(runner.drain { drained.append($0) }, accepted)
        XCTAssertEqual(drained.map(\.id), drained.map(\.id).sorted(), "kept inputs run in order")
        XCTAssertEqual(runner.drain { _ in }, 0, "drain empties")
    }

    func testUndrainedResultsKeepTheNewest() throws {
        let graph = try MonDigits.model()
        let (rows, _) = try MonDigits.testSplit()
        let runner = try ShadowRunner(denseGraph: graph, queueCapacity: 16, resultCapacity: 4)
        defer { runner.shutdown() }
        for i in 0..<10 {
            XCTAssertTrue(rows[i].withUnsafeBufferPointer { runner.submit(id: UInt64(i), level: 0, activeTop1: 0, input: $0) })
            runner.waitUntilIdle()
        }
        let monitor = try AccuracyMonitor(classes: 10, shadowFraction: 1)
        XCTAssertEqual(runner.drain(into: monitor), 4)
        XCTAssertEqual(monitor.agreement(level: 0)?.trials, 4)
        XCTAssertEqual(runner.counters.resultsDropped, 6)
    }

    func testBadSubmissionsAreRefusedAndCounted() throws {
        let graph = try MonDigits.model()
        let runner = try ShadowRunner(denseGraph: graph)
        XCTAssertEqual(runner.inputCount, 64)
        XCTAssertEqual(runner.classes, 10)
        let short = [Float](repeating: 0, count: 63), ok = [Float](repeating: 0, count: 64)
        XCTAssertFalse(short.withUnsafeBufferPointer { runner.submit(id: 0, level: 0, activeTop1: 0, input: $0) })
        XCTAssertFalse(ok.withUnsafeBufferPointer { runner.submit(id: 0, level: -1, activeTop1: 0, input: $0) })
        XCTAssertFalse(ok.withUnsafeBufferPointer { runner.submit(id: 0, level: SparsityLadder.maxLevels + 1, activeTop1: 0, input: $0) })
        XCTAssertFalse(ok.withUnsafeBufferPointer { runner.submit(id: 0, level: 0, activeTop1: 10, input: $0) })
        XCTAssertEqual(runner.counters.rejected, 4)
        XCTAssertEqual(runner.counters.submitted, 0)
        runner.shutdown()
        runner.shutdown()
        XCTAssertFalse(ok.withUnsafeBufferPointer { runner.submit(id: 0, level: 0, activeTop1: 0, input: $0) }, "after shutdown")
        XCTAssertEqual(runner.counters.rejected, 5)
        runner.waitUntilIdle()  // returns at once
        XCTAssertThrowsError(try ShadowRunner(denseGraph: graph, queueCapacity: 0))
        XCTAssertThrowsError(try ShadowRunner(denseGraph: graph, resultCapacity: 0))
    }

    /// Two threads submitting at once (a misuse) and the owner draining meanwhile: every attempt
    /// is accounted for, and every result is the dense top-1 of the very input submitted under
    /// its id (a torn slot would show as a wrong answer). Run under the thread sanitizer too.
    func testConcurrentSubmittersAndDrainsNeverTearASlot() throws {
        let graph = try MonDigits.model()
        let (rows, _) = try MonDigits.testSplit()
        let dense = try MonLevelRunner(graph, level: 0)
        let expected = rows.map { dense.run($0).top1 }
        let runner = try ShadowRunner(denseGraph: graph, queueCapacity: 4, resultCapacity: 4096)
        defer { runner.shutdown() }
        let attempts = 2000
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 3) { worker in
            if worker == 2 {
                // The owner: drains while the others submit.
                for _ in 0..<200 { runner.drain { r in results.append(r) }; usleep(50) }
                return
            }
            for k in 0..<attempts {
                let i = (k * 2 + worker) % rows.count
                let id = UInt64(worker * attempts + k)
                rows[i].withUnsafeBufferPointer { _ = runner.submit(id: id, level: 0, activeTop1: 0, input: $0) }
            }
        }
        runner.waitUntilIdle()
        runner.drain { r in results.append(r) }
        let c = runner.counters
        XCTAssertEqual(c.submitted + c.dropped + c.rejected, 2 * attempts)
        XCTAssertEqual(c.completed, c.submitted)
        let all = results.items
        XCTAssertEqual(all.count, c.submitted)
        XCTAssertEqual(Set(all.map(\.id)).count, all.count, "no result twice")
        for r in all {
            let worker = Int(r.id) / attempts, k = Int(r.id) % attempts
            XCTAssertEqual(r.denseTop1, expected[(k * 2 + worker) % rows.count], "id \(r.id)")
        }
    }

    /// Shutdown runs what is already queued before the thread stops.
    func testShutdownRunsWhatIsQueued() throws {
        let graph = try MonDigits.model()
        let (rows, _) = try MonDigits.testSplit()
        let runner = try ShadowRunner(denseGraph: graph, queueCapacity: 32)
        var accepted = 0
        for i in 0..<32 where rows[i].withUnsafeBufferPointer({ runner.submit(id: UInt64(i), level: 0, activeTop1: 0, input: $0) }) {
            accepted += 1
        }
        runner.shutdown()
        XCTAssertEqual(runner.counters.completed, accepted)
        XCTAssertEqual(runner.drain { _ in }, accepted)
    }
}

/// A lock-protected list the concurrency test collects results in.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [ShadowResult] = []
    func append(_ r: ShadowResult) { lock.lock(); list.append(r); lock.unlock() }
    var items: [ShadowResult] { lock.lock(); defer { lock.unlock() }; return list }
}
