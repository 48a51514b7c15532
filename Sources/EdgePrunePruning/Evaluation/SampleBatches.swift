import EdgePruneCore

/// Runs a single-input model over the samples of one tensor (batch dimension first), a batch at
/// a time, through the session's cached plans. Shared by prediction and attribution.
struct SampleBatches {
    let session: InferenceSession
    let input: ValueInfo
    let data: Tensor
    /// Samples in `data` (its first dimension) and bytes of one sample.
    let samples: Int
    let sampleBytes: Int

    /// Checks that `data` fits the model's only input: same dtype, same rank, every fixed
    /// per-sample dimension equal (the planner checks them too, but this error names the data).
    init(_ session: InferenceSession, data: Tensor, what: String) throws {
        guard session.inputs.count == 1 else {
            throw EdgePruneError(.input, "\(what) needs a single-input model; this one has \(session.inputs.count) inputs (\(session.inputs.map(\.name).joined(separator: ", ")))")
        }
        let info = session.inputs[0]
        guard data.dtype == info.dtype else {
            throw EdgePruneError(.input, "data is \(data.dtype); input '\(info.name)' takes \(info.dtype)")
        }
        guard data.rank == info.dims.count, data.rank >= 1 else {
            throw EdgePruneError(.input, "data has shape \(Shape.describe(data.shape)); input '\(info.name)' expects \(info.shapeDescription)")
        }
        for (axis, (d, s)) in zip(info.dims, data.shape).enumerated().dropFirst() {
            if case .fixed(let f) = d, f != s {
                throw EdgePruneError(.input, "data has shape \(Shape.describe(data.shape)); input '\(info.name)' expects \(info.shapeDescription) (axis \(axis) differs)")
            }
        }
        guard data.shape[0] > 0 else { throw EdgePruneError(.input, "data holds no samples") }
        self.session = session
        input = info
        self.data = data
        samples = data.shape[0]
        sampleBytes = data.byteCount / samples
    }

    /// Shape of one sample without its batch dimension.
    var sampleShape: [Int] { Array(data.shape.dropFirst()) }

    func plan(batch: Int) throws -> ExecutionPlan {
        let p = try session.plan(inputShapes: [input.name: [batch] + sampleShape])
        guard let out = p.outputs.first, out.type.dtype == .float32, out.type.rank >= 1, out.type.shape[0] == batch else {
            throw EdgePruneError(.input, "the model's first output must be f32 with the batch first; got \(p.outputs.first.map { "\($0.type)" } ?? "none")")
        }
        return p
    }

    /// Copies `count` samples from `source` into the plan's input and runs it; returns the first
    /// output (valid until the plan runs again).
    func run(_ plan: ExecutionPlan, from source: UnsafeRawPointer, count: Int) -> UnsafePointer<Float> {
        plan.inputs[0].pointer.copyMemory(from: source, byteCount: count * sampleBytes)
        plan.run()
        return UnsafePointer(plan.outputs[0].pointer.assumingMemoryBound(to: Float.self))
    }
}
