import XCTest
import EdgePruneCore
import EdgePruneONNX
@testable import EdgePrunePruning

/// Fixture access and model measurements shared by the structured pruning tests.
enum StructuredKit {
    static let fixtures: String = {
        let here = "\(#filePath)"
        return here.components(separatedBy: "/Tests/").first! + "/Tests/Fixtures"
    }()

    static let policy = KernelPolicy(linearFormat: "gemm", convFormat: "gemm")

    static func load(_ relative: String) throws -> Graph { try ModelLoader.load(fixtures + "/" + relative) }

    static func npy(_ relative: String) throws -> Tensor { try NPY.read(fixtures + "/" + relative) }

    /// Output 0 of the graph on `input` (fed to its single runtime input).
    static func run(_ graph: Graph, _ input: Tensor) throws -> Tensor {
        let session = try InferenceSession(graph: graph, policy: policy)
        let out = try session.run([session.inputs[0].name: input])
        return out[graph.outputs[0].name]!
    }

    static func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.count == b.count, "outputs differ in size")
        return zip(a.floats, b.floats).map { abs($0 - $1) }.max() ?? 0
    }

    /// f32 parameters stored in the model (every initializer with more than one element).
    static func parameters(_ graph: Graph) -> Int {
        graph.initializers.values.filter { $0.dtype == .float32 && $0.count > 1 }.reduce(0) { $0 + $1.count }
    }

    /// Multiply-accumulates of one sample, as the planner counts them.
    static func macs(_ graph: Graph) throws -> Int {
        try InferenceSession(graph: graph, policy: policy).plan(batch: 1).totalMACs
    }

    /// Masks the odd channels (half, rounded down) of every prunable group.
    static func maskHalf(_ graph: Graph, _ groups: [ChannelGroup]) throws -> Graph {
        var g = graph
        for group in groups where group.prunable {
            g = try ChannelMasking.mask(g, group: group, channels: Set(stride(from: 1, to: group.channels, by: 2)))
        }
        return g
    }

    static func group(_ groups: [ChannelGroup], producer: String, file: StaticString = #filePath, line: UInt = #line) throws -> ChannelGroup {
        guard let g = groups.first(where: { $0.producers.contains(producer) }) else {
            XCTFail("no group produced by '\(producer)' in \(groups.map(\.producers))", file: file, line: line)
            throw EdgePruneError(.input, "missing group")
        }
        return g
    }
}

/// Asserts that `body` throws an EdgePruneError whose one-line message contains `fragment`.
func assertStructuredThrows(_ fragment: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected an error containing '\(fragment)'", file: file, line: line)
    } catch let e as EdgePruneError {
        XCTAssertTrue(e.description.contains(fragment), "'\(e.description)' lacks '\(fragment)'", file: file, line: line)
        XCTAssertFalse(e.description.contains("\n"), "error spans lines", file: file, line: line)
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
    }
}
