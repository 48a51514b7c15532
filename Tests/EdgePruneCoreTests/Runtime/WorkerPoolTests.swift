import CTestSupport
import XCTest
@testable import EdgePruneCore

final class WorkerPoolTests: XCTestCase {
    func testEveryIndexRunsExactlyOnce() throws {
        let pool = try WorkerPool(threads: 3)
        defer { pool.shutdown() }
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        defer { counts.deallocate() }
        for round in 0..<500 {
            let n = round % 64 + 1
            counts.initialize(repeating: 0, count: 64)
            // Each index owns its slot, so no two threads write the same word.
            pool.parallelFor(n, context: UnsafeMutableRawPointer(counts)) { raw, i in
                raw.assumingMemoryBound(to: Int.self)[i] += 1
            }
            for i in 0..<64 { XCTAssertEqual(counts[i], i < n ? 1 : 0, "round \(round) index \(i)") }
        }
    }

    func testSplitNeedsEnoughWorkPerThread() throws {
        let pool = try WorkerPool(threads: 2)
        defer { pool.shutdown() }
        XCTAssertEqual(WorkSplit(pool: pool, units: 10, work: 1000).tasks, 1)
        XCTAssertEqual(WorkSplit(pool: pool, units: 10, work: 10_000_000).tasks, 2)
        XCTAssertEqual(WorkSplit(pool: pool, units: 1, work: 10_000_000).tasks, 1)
    }

    func testRejectsZeroThreads() {
        assertThrows("at least 1") { _ = try WorkerPool(threads: 0) }
    }

    func testWorkSplitRangesTileTheUnits() {
        for tasks in 1...4 {
            for (units, granule) in [(100, 16), (7, 1), (33, 6), (3, 8)] {
                var covered: [Int] = []
                for t in 0..<tasks { covered += Array(WorkSplit.range(t, of: tasks, units: units, granule: granule)) }
                XCTAssertEqual(covered, Array(0..<units), "tasks \(tasks) units \(units) granule \(granule)")
            }
        }
    }

    /// Large convolutions and Gemms split over threads give bit-identical results (each output
    /// element is computed by one thread in the same order) and allocate nothing on the caller.
    func testThreadedPlanMatchesSingleThreadExactly() throws {
        var rng = TestRandom(seed: 13)
        let g = Graph(
            nodes: [Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"], attributes: ["pads": .ints([1, 1, 1, 1])]),
                    Node(name: "relu", opType: "Relu", inputs: ["c"], outputs: ["r"]),
                    Node(name: "dw", opType: "Conv", inputs: ["r", "dw"], outputs: ["d"], attributes: ["pads": .ints([1, 1, 1, 1]), "group": .int(32)]),
                    Node(name: "flat", opType: "Flatten", inputs: ["d"], outputs: ["f"]),
                    Node(name: "fc", opType: "Gemm", inputs: ["f", "fw", "fb"], outputs: ["y"], attributes: ["transB": .int(1)])],
            inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(16), .fixed(24), .fixed(24)])],
            outputs: [ValueInfo(name: "y", dtype: .float32, dims: [])],
            initializers: ["w": rng.tensor([32, 16, 3, 3]), "b": rng.tensor([32]), "dw": rng.tensor([32, 1, 3, 3]),
                           "fw": rng.tensor([300, 32 * 24 * 24]), "fb": rng.tensor([300])])
        let x = rng.tensor([1, 16, 24, 24])
        // One Gemm path for both (a measured choice could pick different weight formats, whose
        // sums round differently; formats' own threading is checked in LinearSelectionTests).
        let policy = KernelPolicy(linearFormat: "gemm")
        let single = try InferenceSession(graph: g, policy: policy).run(["x": x])["y"]!
        let threaded = try InferenceSession(graph: g, threads: 2, policy: policy)
        XCTAssertEqual(try threaded.run(["x": x])["y"]!.floats, single.floats)

        try skipUnlessAllocationsCanBeCounted()
        let plan = try threaded.plan(batch: 1)
        plan.inputs[0].pointer.copyMemory(from: x.raw, byteCount: x.byteCount)
        plan.run()
        ep_alloc_counter_start()
        for _ in 0..<5 { plan.run() }
        let allocations = ep_alloc_counter_stop()
        XCTAssertEqual(allocations, 0)
    }
}

