import CEdgeKernels
import XCTest
@testable import EdgePruneCore

/// Linear layers in every weight format: forced formats give the GEMM's outputs, the measured
/// choice never leaves a dense weight on a sparse format, and inspect names what was chosen.
final class LinearSelectionTests: XCTestCase {
    /// W (rows x cols) whose zeros fit `format` (blocks, N:M or anything) at about 60% sparsity.
    private func weights(for format: UnsafePointer<ep_f32_linear_format>, rows: Int, cols: Int, rng: inout TestRandom) -> [Float] {
        let f = format.pointee
        var w = (0..<(rows * cols)).map { _ in rng.float() }
        if f.nm_m > 0 {
            let m = Int(f.nm_m), n = Int(f.nm_n)
            for r in 0..<rows { for g in stride(from: 0, to: cols, by: m) {
                let start = rng.int(0...(m - 1))
                for t in n..<m where g + (start + t) % m < cols { w[r * cols + g + (start + t) % m] = 0 }
            } }
        } else if f.block_rows > 0 {
            let br = Int(f.block_rows), bc = Int(f.block_cols)
            for r0 in stride(from: 0, to: rows, by: br) { for c0 in stride(from: 0, to: cols, by: bc) where rng.int(0...9) < 6 {
                for r in r0..<min(rows, r0 + br) { for c in c0..<min(cols, c0 + bc) { w[r * cols + c] = 0 } }
            } }
        }
        return w
    }

    private func gemm(rows: Int, cols: Int, w: [Float], bias: [Float], policy: KernelPolicy, batch: Int) throws -> (PreparedOp, Node) {
        var node = Node(name: "fc", opType: "Gemm", inputs: ["x", "W", "b"], outputs: ["y"], attributes: ["transB": .int(1)])
        FusedActivation.write(.relu, into: &node)
        let wt = Tensor(w, shape: [rows, cols]), bt = Tensor(bias, shape: [rows])
        let ctx = OpContext(node: node, opset: 13, inputTypes: [TensorType(.float32, [batch, cols]), wt.type, bt.type],
                            constants: [nil, wt, bt], policy: policy)
        return (try OpRegistry.preparer(for: node)(ctx), node)
    }

    func testEveryForcedFormatMatchesTheNaiveProduct() throws {
        var rng = TestRandom(seed: 21)
        let rows = 37, cols = 70
        for kernel in LinearFormats.preferred {
            let name = String(cString: kernel.pointee.format.pointee.name)
            let w = weights(for: kernel.pointee.format, rows: rows, cols: cols, rng: &rng)
            let bias = (0..<rows).map { _ in rng.float() }
            for batch in [1, 3] {
                let (prepared, _) = try gemm(rows: rows, cols: cols, w: w, bias: bias, policy: KernelPolicy(linearFormat: name), batch: batch)
                let kernelName = prepared.kernelName
                XCTAssertTrue(kernelName.contains(String(cString: kernel.pointee.name)), "\(name): chose \(kernelName)")
                let x = rng.tensor([batch, cols])
                let y = try runPrepared(prepared, inputs: [x, Tensor(w, shape: [rows, cols]), Tensor(bias, shape: [rows])])
                let xv = x.floats
                for b in 0..<batch { for n in 0..<rows {
                    var want = bias[n]
                    for k in 0..<cols { want += w[n * cols + k] * xv[b * cols + k] }
                    XCTAssertEqual(y.floats[b * rows + n], max(want, 0), accuracy: 1e-4, "\(name) batch \(batch) row \(n)")
                } }
            }
        }
    }

    func testMeasuredChoiceKeepsDenseWeightsOffSparseFormats() throws {
        var rng = TestRandom(seed: 5)
        let rows = 64, cols = 128
        let w = (0..<(rows * cols)).map { _ in rng.float() }
        let (prepared, _) = try gemm(rows: rows, cols: cols, w: w, bias: [Float](repeating: 0, count: rows), policy: KernelPolicy(), batch: 1)
        let name = prepared.kernelName
        for kernel in LinearFormats.preferred {
            let f = kernel.pointee.format.pointee
            guard f.block_rows != 0 || f.nm_m != 0 else { continue }
            XCTAssertFalse(name.contains(String(cString: kernel.pointee.name)), "a dense weight runs on sparse \(name)")
        }
    }

    func testAFormatTheWeightDoesNotFitFallsBackToGemm() throws {
        guard LinearFormats.kernel(format: "nm2:4") != nil else { throw XCTSkip("no nm2:4 format in this build") }
        var rng = TestRandom(seed: 8)
        let w = (0..<(16 * 16)).map { _ in rng.float() }  // dense: four non-zeros in every group of four
        let (prepared, _) = try gemm(rows: 16, cols: 16, w: w, bias: [Float](repeating: 0, count: 16),
                                     policy: KernelPolicy(linearFormat: "nm2:4"), batch: 1)
        let name = prepared.kernelName
        XCTAssertTrue(name.contains("gemm"), name)
    }

    /// Large enough that two threads split the rows: the same bits as one thread, every format.
    func testThreadedFormatsMatchOneThread() throws {
        var rng = TestRandom(seed: 13)
        let rows = 512, cols = 1024
        var w = rng.tensor([rows, cols]).floats
        for i in w.indices where (i / 4) % 2 == 1 || i % 4 > 1 { w[i] = 0 }  // fits every block and 2:4
        let g = Graph(nodes: [Node(name: "fc", opType: "Gemm", inputs: ["x", "w"], outputs: ["y"], attributes: ["transB": .int(1)])],
                      inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(cols)])],
                      outputs: [ValueInfo(name: "y", dtype: .float32, dims: [])],
                      initializers: ["w": Tensor(w, shape: [rows, cols])])
        let x = rng.tensor([2, cols])
        for name in LinearFormats.formatNames {
            let one = try InferenceSession(graph: g, threads: 1, policy: KernelPolicy(linearFormat: name)).run(["x": x])["y"]!
            let two = try InferenceSession(graph: g, threads: 2, policy: KernelPolicy(linearFormat: name)).run(["x": x])["y"]!
            XCTAssertEqual(one.floats, two.floats, name)
        }
    }
}
