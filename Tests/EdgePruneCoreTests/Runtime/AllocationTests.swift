import CTestSupport
import XCTest
@testable import EdgePruneCore

/// run() after prepare must not touch the heap: counted with an interposed malloc (CTestSupport).
final class AllocationTests: XCTestCase {
    func testRunAllocatesNothingAfterWarmUp() throws {
        try skipUnlessAllocationsCanBeCounted()
        ep_alloc_counter_start()
        _ = malloc(16).map { free($0) }
        let probe = ep_alloc_counter_stop()
        XCTAssertGreaterThanOrEqual(probe, 1, "the counter must see a malloc made on purpose")

        var rng = TestRandom(seed: 1)
        // Conv + BN + Relu + pool + Gemm + softmax, a broadcasting Add and a Concat: most kernel kinds.
        let g = Graph(
            nodes: [Node(name: "conv", opType: "Conv", inputs: ["x", "w"], outputs: ["c"], attributes: ["pads": .ints([1, 1, 1, 1])]),
                    Node(name: "relu", opType: "Relu", inputs: ["c"], outputs: ["r"]),
                    Node(name: "add", opType: "Add", inputs: ["r", "bias"], outputs: ["a"]),
                    Node(name: "pool", opType: "MaxPool", inputs: ["a"], outputs: ["p"], attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])]),
                    Node(name: "cat", opType: "Concat", inputs: ["p", "p"], outputs: ["q"], attributes: ["axis": .int(1)]),
                    Node(name: "flat", opType: "Flatten", inputs: ["q"], outputs: ["f"]),
                    Node(name: "fc", opType: "Gemm", inputs: ["f", "fw"], outputs: ["l"], attributes: ["transB": .int(1)]),
                    Node(name: "sm", opType: "Softmax", inputs: ["l"], outputs: ["y"])],
            inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(2), .fixed(6), .fixed(6)])],
            outputs: [ValueInfo(name: "y", dtype: .float32, dims: [])],
            initializers: ["w": rng.tensor([4, 2, 3, 3]), "bias": rng.tensor([4, 1, 1]), "fw": rng.tensor([5, 72])])
        let plan = try InferenceSession(graph: g).plan(batch: 2)
        let x = rng.tensor([2, 2, 6, 6])
        plan.inputs[0].pointer.copyMemory(from: x.raw, byteCount: x.byteCount)
        plan.run()  // warm-up
        ep_alloc_counter_start()
        for _ in 0..<10 { plan.run() }
        let allocations = ep_alloc_counter_stop()
        XCTAssertEqual(allocations, 0, "run() allocated \(allocations) times")
        XCTAssertGreaterThan(plan.steps.count, 4)
    }
}

/// The allocation tests need malloc interposition: glibc, and no sanitizer doing its own.
func skipUnlessAllocationsCanBeCounted() throws {
    if ep_alloc_counter_available() == 0 {
        throw XCTSkip("allocation counting needs glibc malloc interposition (unavailable here or under a sanitizer)")
    }
}
