/// Structural checks and topological ordering. Errors name the node and the problem.
public enum GraphValidation {
    /// Returns the nodes in an order where every input is produced before it is used.
    /// Throws on duplicate producers, dangling inputs, cycles and missing graph outputs.
    public static func topologicalOrder(_ graph: Graph) throws -> [Node] {
        var producer: [String: Int] = [:]
        let sources = Set(graph.inputs.map(\.name)).union(graph.initializers.keys)
        for (i, node) in graph.nodes.enumerated() {
            for out in node.outputs where !out.isEmpty {
                if sources.contains(out) {
                    throw EdgePruneError(.invalidModel, "\(node.label) writes '\(out)', which is a graph input or initializer")
                }
                if let other = producer[out] {
                    throw EdgePruneError(.invalidModel, "value '\(out)' is produced by both \(graph.nodes[other].label) and \(node.label)")
                }
                producer[out] = i
            }
        }
        // Dependencies.
        var indegree = [Int](repeating: 0, count: graph.nodes.count)
        var consumers = [[Int]](repeating: [], count: graph.nodes.count)
        for (i, node) in graph.nodes.enumerated() {
            for input in node.inputs where !input.isEmpty {
                if let p = producer[input] {
                    indegree[i] += 1
                    consumers[p].append(i)
                } else if !sources.contains(input) {
                    throw EdgePruneError(.invalidModel, "\(node.label) reads '\(input)', which no node, input or initializer provides (dangling input)")
                }
            }
        }
        for out in graph.outputs where producer[out.name] == nil && !sources.contains(out.name) {
            throw EdgePruneError(.invalidModel, "graph output '\(out.name)' is not produced by any node")
        }
        if graph.outputs.isEmpty {
            throw EdgePruneError(.invalidModel, "the graph declares no outputs")
        }
        // Kahn, stable in the file's order.
        var ready = (0..<graph.nodes.count).filter { indegree[$0] == 0 }.reversed().map { $0 }
        var order: [Node] = []
        order.reserveCapacity(graph.nodes.count)
        while let i = ready.popLast() {
            order.append(graph.nodes[i])
            for c in consumers[i].reversed() {
                indegree[c] -= 1
                if indegree[c] == 0 { ready.append(c) }
            }
        }
        if order.count != graph.nodes.count {
            let stuck = (0..<graph.nodes.count).first { indegree[$0] > 0 }!
            throw EdgePruneError(.invalidModel, "the graph has a cycle through \(graph.nodes[stuck].label)")
        }
        return order
    }
}
