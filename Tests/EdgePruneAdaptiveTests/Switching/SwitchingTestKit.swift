import Foundation
import XCTest
import EdgePruneCore
import EdgePruneONNX
import EdgePrunePruning
@testable import EdgePruneAdaptive

/// Models with sparsity ladders for the switching tests (pruned once per process: pruning the
/// wide MLP takes a moment) and helpers to compare outputs.
enum SwitchingTestKit {
    static func fixture(_ relative: String) -> String {
        let root = "\(#filePath)".components(separatedBy: "/Tests/").first!
        return root + "/Tests/Fixtures/" + relative
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var ladders: [String: Graph] = [:]

    /// `name` (a digits fixture) pruned by magnitude into a ladder at `levels` (global scope).
    static func ladderModel(_ name: String, levels: [Double] = [0.5, 0.7, 0.9],
                            granularity: Granularity = .unstructured) throws -> Graph {
        let key = "\(name) \(levels) \(granularity.description)"
        lock.lock()
        defer { lock.unlock() }
        if let g = ladders[key] { return g }
        let model = try ModelLoader.load(fixture("models/\(name).onnx"))
        let options = PruneOptions(granularity: granularity, levels: levels, protect: [], latencyRuns: 0)
        let g = try Pruner.prune(model, options: options, data: nil).graph
        ladders[key] = g
        return g
    }

    /// `name` with a ladder of pseudo-random nested masks over every f32 weight of 1,000+
    /// elements: an element is pruned from level k with probability fractions[k-1] minus the
    /// previous fraction. Built in milliseconds (pruning the wide MLP in a debug or sanitizer
    /// build takes a minute); switching does not care how the codes were chosen.
    static func randomLadder(_ name: String, fractions: [Double] = [0.5, 0.7, 0.9], seed: UInt64 = 7) throws -> Graph {
        var g = try ModelLoader.load(fixture("models/\(name).onnx"))
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var codes: [String: [UInt8]] = [:]
        for (weight, t) in g.initializers where t.dtype == .float32 && t.count >= 1000 {
            codes[weight] = (0..<t.count).map { _ in
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                let u = Double(state >> 11) / Double(1 << 53)
                guard let k = fractions.firstIndex(where: { u < $0 }) else { return 0 }
                return UInt8(k + 1)
            }
        }
        g.ladder = SparsityLadder(method: "random", granularity: "unstructured", scope: "layer",
                                  levels: [LadderLevel(sparsity: 0)] + fractions.map { LadderLevel(sparsity: $0) }, codes: codes)
        try g.ladder!.validate(against: g)
        return g
    }

    /// The first `count` rows of the MLP test inputs, one [1, 64] tensor each.
    static func mlpSamples(_ count: Int) throws -> [Tensor] {
        let x = try NPY.read(fixture("digits/test_x_mlp.npy"))
        let width = x.shape[1]
        let all = x.floats
        return (0..<count).map { i in Tensor(Array(all[i * width..<(i + 1) * width]), shape: [1, width]) }
    }

    static func bytes(_ t: Tensor) -> [UInt8] { Array(UnsafeRawBufferPointer(start: t.raw, count: t.byteCount)) }

    /// Output 0 of a reference session on `graph` at `level` (PrunedLevels.graph), planned with
    /// `policy`.
    static func reference(_ graph: Graph, level: Int, input: Tensor, policy: KernelPolicy = KernelPolicy()) throws -> Tensor {
        let session = try InferenceSession(graph: try PrunedLevels.graph(graph, level: level), policy: policy)
        let plan = try session.plan(batch: 1)
        return try plan.run([input])[0]
    }

    static func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.floats, b.floats).map { abs($0 - $1) }.max() ?? .infinity
    }

    /// Asserts that `body` throws an EdgePruneError whose one-line message contains `fragment`.
    static func assertThrows(_ fragment: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
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
}
