/// The runtime's front door: a validated, optimised graph that plans itself for the input shapes
/// it is given (one plan per distinct shape set, kept).
public final class InferenceSession: @unchecked Sendable {
    /// The graph after load-time rewrites (folding, fusion).
    public let graph: Graph
    public let limits: PlanLimits
    /// Threads kernels split large layers over (1: everything on the calling thread).
    public let threads: Int
    /// How Linear weight formats and kernels are chosen.
    public let policy: KernelPolicy
    private let pool: WorkerPool?
    private var plans: [[[Int]]: ExecutionPlan] = [:]

    public init(graph: Graph, limits: PlanLimits = PlanLimits(), threads: Int = 1,
                policy: KernelPolicy = KernelPolicy()) throws {
        self.limits = limits
        self.threads = threads
        self.policy = policy
        self.graph = try GraphPasses.optimize(graph, limits: limits)
        pool = threads > 1 ? try WorkerPool(threads: threads) : nil
    }

    deinit { pool?.shutdown() }

    public var inputs: [ValueInfo] { graph.runtimeInputs }
    public var outputs: [ValueInfo] { graph.outputs }

    /// Shapes for every input with symbolic dimensions bound: the first dimension to `batch`, any
    /// other symbolic dimension is an error naming it.
    public func inputShapes(batch: Int) throws -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for info in inputs {
            shapes[info.name] = try info.dims.enumerated().map { i, d in
                switch d {
                case .fixed(let n): return n
                case .symbolic(let s):
                    if i == 0 { return batch }
                    throw EdgePruneError(.input, "input '\(info.name)' has symbolic dimension '\(s)' at axis \(i); give the input's shape explicitly")
                }
            }
        }
        return shapes
    }

    /// The plan for these shapes (prepared on first use).
    public func plan(inputShapes: [String: [Int]]) throws -> ExecutionPlan {
        let key = inputs.map { inputShapes[$0.name] ?? [] }
        if let p = plans[key] { return p }
        let p = try Planner.plan(graph, inputShapes: inputShapes, limits: limits, pool: pool, policy: policy)
        plans[key] = p
        return p
    }

    public func plan(batch: Int) throws -> ExecutionPlan {
        try plan(inputShapes: inputShapes(batch: batch))
    }

    /// Convenience: runs on named tensors, planning for their shapes. Allocates its results.
    public func run(_ feeds: [String: Tensor]) throws -> [String: Tensor] {
        for info in inputs where feeds[info.name] == nil {
            throw EdgePruneError(.input, "missing model input '\(info.name)' \(info.shapeDescription)")
        }
        for name in feeds.keys where !inputs.contains(where: { $0.name == name }) {
            throw EdgePruneError(.input, "the model has no input named '\(name)' (inputs: \(inputs.map(\.name).joined(separator: ", ")))")
        }
        for info in inputs where feeds[info.name]!.dtype != info.dtype {
            throw EdgePruneError(.input, "input '\(info.name)' must be \(info.dtype), got \(feeds[info.name]!.dtype)")
        }
        let p = try plan(inputShapes: feeds.mapValues(\.shape))
        let results = try p.run(p.inputs.map { feeds[$0.name]! })
        return Dictionary(uniqueKeysWithValues: zip(p.outputs.map(\.name), results))
    }
}
