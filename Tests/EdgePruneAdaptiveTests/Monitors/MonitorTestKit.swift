import XCTest
import EdgePruneCore
import EdgePruneONNX
import EdgePrunePruning
@testable import EdgePruneAdaptive

/// Deterministic xorshift random numbers for the monitor tests.
struct MonRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / 9_007_199_254_740_992 }

    mutating func int(_ range: Range<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }

    /// Fisher-Yates shuffle of 0..<n.
    mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, int(0..<(i + 1))) }
        return p
    }
}

/// The percentile oracle: sort, then take the smallest value v such that at least p% of the
/// values are <= v (the nearest-rank definition, stated by counting rather than by formula).
func monOraclePercentile(_ values: [Double], percent: Int) -> Double {
    let sorted = values.sorted()
    for (i, v) in sorted.enumerated() where (i + 1) * 100 >= percent * sorted.count { return v }
    return sorted.last!
}

/// Digits fixtures: the MLP, a magnitude-global ladder with nothing protected, and the test split.
enum MonDigits {
    static func fixture(_ relative: String) -> String {
        let root = "\(#filePath)".components(separatedBy: "/Tests/").first!
        return root + "/Tests/Fixtures/" + relative
    }

    static func model(_ name: String = "digits_mlp") throws -> Graph {
        try ModelLoader.load(fixture("models/\(name).onnx"))
    }

    /// Level 0 = dense; levels 1... = `sparsities` (magnitude, global, protect: []).
    static func ladder(_ sparsities: [Double], model name: String = "digits_mlp") throws -> Graph {
        let options = PruneOptions(method: .magnitude, granularity: .unstructured, scope: .global, levels: sparsities,
                                   protect: [], latencyRuns: 0)
        return try Pruner.prune(try model(name), options: options, data: nil).graph
    }

    /// Test inputs [360, 64] as rows, and labels.
    static func testSplit() throws -> (rows: [[Float]], labels: [Int]) {
        let x = try NPY.read(fixture("digits/test_x_mlp.npy"))
        let y = try NPY.read(fixture("digits/test_y.npy")).asInts()
        let flat = x.asFloats()
        let width = x.count / x.shape[0]
        let rows = (0..<x.shape[0]).map { Array(flat[$0 * width ..< ($0 + 1) * width]) }
        return (rows, y)
    }
}

/// One level of a model, planned for batch 1, answering top-1 and the raw output row.
final class MonLevelRunner {
    let plan: ExecutionPlan
    private let session: InferenceSession
    let classes: Int

    init(_ graph: Graph, level: Int) throws {
        session = try InferenceSession(graph: try PrunedLevels.graph(graph, level: level))
        plan = try session.plan(batch: 1)
        classes = plan.outputs[0].type.count
    }

    func run(_ row: [Float]) -> (top1: Int, outputs: [Float]) {
        let input = plan.inputs[0].pointer.assumingMemoryBound(to: Float.self)
        row.withUnsafeBufferPointer { input.update(from: $0.baseAddress!, count: row.count) }
        plan.run()
        let out = plan.outputs[0].pointer.assumingMemoryBound(to: Float.self)
        let values = Array(UnsafeBufferPointer(start: out, count: classes))
        var best = 0
        for c in 1..<classes where values[c] > values[best] { best = c }
        return (best, values)
    }
}
