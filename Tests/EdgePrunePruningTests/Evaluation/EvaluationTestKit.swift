import EdgePruneCore
import EdgePruneONNX

/// Fixtures and small hand-built models for the evaluation tests.
enum EvaluationTestKit {
    /// Path of a file under Tests/Fixtures.
    static func fixture(_ relative: String) -> String {
        let root = "\(#filePath)".components(separatedBy: "/Tests/").first!
        return root + "/Tests/Fixtures/" + relative
    }

    static func session(_ graph: Graph) throws -> InferenceSession { try InferenceSession(graph: graph) }

    /// y = x · Wᵀ + b for x [N, inputs] and W [outputs, inputs] (one Gemm, transB = 1).
    static func gemm(_ w: [Float], outputs: Int, inputs: Int, bias: [Float]) -> Graph {
        Graph(name: "gemm",
              nodes: [Node(name: "fc", opType: "Gemm", inputs: ["x", "W", "b"], outputs: ["y"], attributes: ["transB": .int(1)])],
              inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(inputs)])],
              outputs: [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("N"), .fixed(outputs)])],
              initializers: ["W": Tensor(w, shape: [outputs, inputs]), "b": Tensor(bias, shape: [outputs])])
    }

    /// Deterministic values in [-1, 1).
    static func values(_ n: Int, seed: UInt64) -> [Float] {
        var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<n).map { _ in
            s ^= s << 13; s ^= s >> 7; s ^= s << 17
            return Float(s >> 40) / Float(1 << 23) - 1
        }
    }

    /// A layer-wise magnitude ladder over every Gemm/MatMul/Conv weight: at level k the
    /// `sparsities[k-1]` fraction of smallest-|w| elements of each weight is pruned (nested).
    static func magnitudeLadder(_ graph: Graph, sparsities: [Double]) -> Graph {
        var g = graph
        var codes: [String: [UInt8]] = [:]
        for node in graph.nodes where ["Gemm", "MatMul", "Conv"].contains(node.opType) && node.inputs.count > 1 {
            guard let w = graph.initializers[node.inputs[1]], w.dtype == .float32, w.rank >= 2 else { continue }
            let v = w.floats
            let order = v.indices.sorted { abs(v[$0]) != abs(v[$1]) ? abs(v[$0]) < abs(v[$1]) : $0 < $1 }
            var c = [UInt8](repeating: 0, count: v.count)
            for (k, s) in sparsities.enumerated() {
                for i in order.prefix(Int((s * Double(v.count)).rounded())) where c[i] == 0 { c[i] = UInt8(k + 1) }
            }
            codes[node.inputs[1]] = c
        }
        g.ladder = SparsityLadder(method: "magnitude", granularity: "unstructured", scope: "layer",
                                  levels: [LadderLevel(sparsity: 0)] + sparsities.map { LadderLevel(sparsity: $0) }, codes: codes)
        return g
    }
}
