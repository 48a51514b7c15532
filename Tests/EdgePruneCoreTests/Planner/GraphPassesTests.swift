import XCTest
@testable import EdgePruneCore

final class GraphPassesTests: XCTestCase {
    /// x → Conv → BatchNormalization → Relu → y, with random weights and statistics.
    func convBNReluGraph(_ rng: inout TestRandom) -> Graph {
        var inits: [String: Tensor] = ["w": rng.tensor([4, 3, 3, 3]), "b": rng.tensor([4])]
        inits["gamma"] = rng.tensor([4]); inits["beta"] = rng.tensor([4]); inits["mean"] = rng.tensor([4])
        inits["var"] = Tensor((0..<4).map { _ in abs(rng.float()) + 0.5 }, shape: [4])
        return Graph(
            nodes: [Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"], attributes: ["pads": .ints([1, 1, 1, 1])]),
                    Node(name: "bn", opType: "BatchNormalization", inputs: ["c", "gamma", "beta", "mean", "var"], outputs: ["n"]),
                    Node(name: "relu", opType: "Relu", inputs: ["n"], outputs: ["y"])],
            inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(3), .fixed(5), .fixed(5)])],
            outputs: [ValueInfo(name: "y", dtype: .float32, dims: [])], initializers: inits)
    }

    /// Runs a graph node by node with OpEvaluator, without any rewrite: the reference.
    func interpret(_ g: Graph, _ feeds: [String: Tensor]) throws -> Tensor {
        var values = g.initializers.merging(feeds) { a, _ in a }
        for n in try GraphValidation.topologicalOrder(g) {
            let outs = try OpEvaluator.evaluate(n, opset: g.opset, inputs: n.inputs.map { values[$0] })
            for (name, t) in zip(n.outputs, outs) { values[name] = t }
        }
        return values[g.outputs[0].name]!
    }

    func testBatchNormFoldsIntoConvAndReluFuses() throws {
        var rng = TestRandom(seed: 21)
        let g = convBNReluGraph(&rng)
        let optimized = try GraphPasses.optimize(g)
        XCTAssertEqual(optimized.nodes.map(\.opType), ["Conv"])
        XCTAssertEqual(optimized.nodes[0].string(FusedActivation.key), "relu")
        let x = rng.tensor([2, 3, 5, 5])
        let want = try interpret(g, ["x": x])
        let got = try InferenceSession(graph: g).run(["x": x])["y"]!
        XCTAssertLessThan(maxAbsDiff(got, want), 1e-5)
    }

    func testBatchNormAfterGemmFolds() throws {
        var rng = TestRandom(seed: 4)
        for transB in [0, 1] {
            let w = rng.tensor(transB == 1 ? [5, 6] : [6, 5])
            let g = Graph(
                nodes: [Node(name: "fc", opType: "Gemm", inputs: ["x", "w", "b"], outputs: ["h"], attributes: ["transB": .int(transB)]),
                        Node(name: "bn", opType: "BatchNormalization", inputs: ["h", "g", "be", "m", "v"], outputs: ["y"])],
                inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.fixed(3), .fixed(6)])],
                outputs: [ValueInfo(name: "y", dtype: .float32, dims: [])],
                initializers: ["w": w, "b": rng.tensor([5]), "g": rng.tensor([5]), "be": rng.tensor([5]), "m": rng.tensor([5]),
                               "v": Tensor((0..<5).map { _ in abs(rng.float()) + 0.1 }, shape: [5])])
            XCTAssertEqual(try GraphPasses.optimize(g).nodes.map(\.opType), ["Gemm"])
            let x = rng.tensor([3, 6])
            XCTAssertLessThan(maxAbsDiff(try InferenceSession(graph: g).run(["x": x])["y"]!, try interpret(g, ["x": x])), 1e-5)
        }
    }

    func testMalformedConvBeforeBatchNormIsLeftToConvsOwnErrors() {
        var rng = TestRandom(seed: 5)
        for w in [Tensor([1], shape: []), Tensor(zeros: TensorType(.float32, [0, 3, 3, 3]))] {
            var g = convBNReluGraph(&rng)
            g.initializers["w"] = w
            assertThrows("Conv 'conv'") { _ = try InferenceSession(graph: g).plan(batch: 1) }
        }
    }

    func testNoFusionWhenIntermediateIsAlsoAGraphOutput() throws {
        var rng = TestRandom(seed: 2)
        var g = convBNReluGraph(&rng)
        g.outputs.append(ValueInfo(name: "n", dtype: .float32, dims: []))
        let optimized = try GraphPasses.optimize(g)
        XCTAssertEqual(optimized.nodes.map(\.opType), ["Conv", "Relu"])
        let x = rng.tensor([1, 3, 5, 5])
        let outs = try InferenceSession(graph: g).run(["x": x])
        XCTAssertLessThan(maxAbsDiff(outs["y"]!, try interpret(g, ["x": x])), 1e-5)
    }

    func testShapeChainsFoldAtPlanTime() throws {
        // Flatten written the way exporters do: Shape → Gather → Unsqueeze → Concat → Reshape.
        let g = Graph(
            nodes: [Node(name: "shape", opType: "Shape", inputs: ["x"], outputs: ["s"]),
                    Node(name: "gather", opType: "Gather", inputs: ["s", "zero"], outputs: ["n"], attributes: ["axis": .int(0)]),
                    Node(name: "unsq", opType: "Unsqueeze", inputs: ["n", "axes"], outputs: ["n1"]),
                    Node(name: "concat", opType: "Concat", inputs: ["n1", "minus1"], outputs: ["target"], attributes: ["axis": .int(0)]),
                    Node(name: "reshape", opType: "Reshape", inputs: ["x", "target"], outputs: ["y"])],
            inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(2), .fixed(3)])],
            outputs: [ValueInfo(name: "y", dtype: .float32, dims: [])],
            initializers: ["zero": Tensor(int64: [0], shape: []), "axes": Tensor(int64: [0], shape: [1]), "minus1": Tensor(int64: [-1], shape: [1])])
        let plan = try InferenceSession(graph: g).plan(batch: 4)
        XCTAssertEqual(plan.steps.count, 0, "everything folds; the reshape is a view")
        XCTAssertEqual(plan.outputs[0].type.shape, [4, 6])
        XCTAssertEqual(plan.outputs[0].pointer, plan.inputs[0].pointer)
    }
}
