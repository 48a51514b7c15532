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

    /// The same for every Linear weight format and every sparse-pixels conv format, on one and two
    /// threads (the formats split rows over the pool).
    func testSparseFormatsRunWithoutAllocating() throws {
        try skipUnlessAllocationsCanBeCounted()
        var rng = TestRandom(seed: 4)
        var cw = rng.tensor([16, 8, 3, 3]).floats, fw = rng.tensor([32, 16 * 36]).floats
        for i in cw.indices where i % 3 != 0 { cw[i] = 0 }
        for i in fw.indices where (i / 4) % 2 == 1 || i % 4 > 1 { fw[i] = 0 }  // fits blocks and 2:4
        let g = Graph(
            nodes: [Node(name: "conv", opType: "Conv", inputs: ["x", "w"], outputs: ["c"], attributes: ["pads": .ints([1, 1, 1, 1])]),
                    Node(name: "flat", opType: "Flatten", inputs: ["c"], outputs: ["f"]),
                    Node(name: "fc", opType: "Gemm", inputs: ["f", "fw"], outputs: ["y"], attributes: ["transB": .int(1)])],
            inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(8), .fixed(6), .fixed(6)])],
            outputs: [ValueInfo(name: "y", dtype: .float32, dims: [])],
            initializers: ["w": Tensor(cw, shape: [16, 8, 3, 3]), "fw": Tensor(fw, shape: [32, 16 * 36])])
        let x = rng.tensor([1, 8, 6, 6])
        let policies = LinearFormats.formatNames.enumerated().map { i, name in
            KernelPolicy(linearFormat: name, convFormat: PixelFormats.formatNames[i % PixelFormats.formatNames.count])
        }
        for policy in policies {
            for threads in [1, 2] {
                let session = try InferenceSession(graph: g, threads: threads, policy: policy)
                let plan = try session.plan(batch: 1)
                plan.inputs[0].pointer.copyMemory(from: x.raw, byteCount: x.byteCount)
                plan.run()
                ep_alloc_counter_start()
                for _ in 0..<10 { plan.run() }
                let allocations = ep_alloc_counter_stop()
                XCTAssertEqual(allocations, 0, "\(policy) threads \(threads): run() allocated \(allocations) times")
            }
        }
    }
}

/// The allocation tests need malloc interposition: glibc, and no sanitizer doing its own.
func skipUnlessAllocationsCanBeCounted() throws {
    if ep_alloc_counter_available() == 0 {
        throw XCTSkip("allocation counting needs glibc malloc interposition (unavailable here or under a sanitizer)")
    }
}
