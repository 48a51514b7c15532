import XCTest
@testable import EdgePruneCore

final class GraphValidationTests: XCTestCase {
    func graph(_ nodes: [Node], outputs: [String] = ["y"]) -> Graph {
        Graph(nodes: nodes, inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.fixed(2)])],
              outputs: outputs.map { ValueInfo(name: $0, dtype: .float32, dims: [.fixed(2)]) })
    }

    func testOrdersNodesWhateverTheFileOrder() throws {
        let g = graph([Node(name: "b", opType: "Relu", inputs: ["t"], outputs: ["y"]),
                       Node(name: "a", opType: "Neg", inputs: ["x"], outputs: ["t"])])
        XCTAssertEqual(try GraphValidation.topologicalOrder(g).map(\.name), ["a", "b"])
    }

    func testCycleIsNamed() {
        let g = graph([Node(name: "a", opType: "Relu", inputs: ["u"], outputs: ["t"]),
                       Node(name: "b", opType: "Relu", inputs: ["t"], outputs: ["u"]),
                       Node(name: "c", opType: "Relu", inputs: ["x"], outputs: ["y"])])
        assertThrows("cycle through Relu 'a'") { _ = try GraphValidation.topologicalOrder(g) }
    }

    func testDanglingInputIsNamed() {
        let g = graph([Node(name: "a", opType: "Add", inputs: ["x", "ghost"], outputs: ["y"])])
        assertThrows("reads 'ghost'") { _ = try GraphValidation.topologicalOrder(g) }
    }

    func testDuplicateProducerAndMissingOutput() {
        assertThrows("produced by both") {
            _ = try GraphValidation.topologicalOrder(self.graph([Node(name: "a", opType: "Relu", inputs: ["x"], outputs: ["y"]),
                                                                 Node(name: "b", opType: "Neg", inputs: ["x"], outputs: ["y"])]))
        }
        assertThrows("graph output 'z' is not produced") {
            _ = try GraphValidation.topologicalOrder(self.graph([Node(name: "a", opType: "Relu", inputs: ["x"], outputs: ["y"])], outputs: ["y", "z"]))
        }
    }

    func testShapeInferenceErrorsNameNodeAndLimit() throws {
        let g = Graph(nodes: [Node(name: "big", opType: "Tile", inputs: ["x", "r"], outputs: ["y"])],
                      inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.fixed(1024)])],
                      outputs: [ValueInfo(name: "y", dtype: .float32, dims: [])],
                      initializers: ["r": Tensor(int64: [1 << 20], shape: [1])])
        let s = try InferenceSession(graph: g, limits: PlanLimits(maxTensorBytes: 1 << 20))
        assertThrows("Tile 'big'") { _ = try s.plan(inputShapes: ["x": [1024]]) }
        assertThrows("tensor limit") { _ = try s.plan(inputShapes: ["x": [1024]]) }
        assertThrows("dimension 0 must be 1024") { _ = try s.plan(inputShapes: ["x": [5]]) }
    }
}
