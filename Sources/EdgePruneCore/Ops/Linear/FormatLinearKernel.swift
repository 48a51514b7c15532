import CEdgeKernels

/// Y[M,N] = stage(X[M,K] x Wᵀ + bias) with W (N x K) packed into one of the Linear weight formats
/// (dense or sparse), chosen at prepare by LinearSelection. Threads split the output rows in
/// multiples of the format's row group.
final class FormatLinearKernel: Kernel {
    let kernel: UnsafePointer<ep_f32_linear_kernel>
    let packed: Buffer
    let batch: Int, rows: Int, cols: Int
    let bias: Buffer?
    var stage: OutputStage
    let split: WorkSplit
    /// What `inspect` shows: kernel name, format and why it was chosen.
    let description: String

    init(kernel: UnsafePointer<ep_f32_linear_kernel>, packed: Buffer, batch: Int, rows: Int, cols: Int,
         bias: Buffer?, stage: OutputStage, pool: WorkerPool?, why: String) {
        self.kernel = kernel
        self.packed = packed
        self.batch = batch; self.rows = rows; self.cols = cols
        self.bias = bias
        self.stage = stage
        let stored = Int(kernel.pointee.format.pointee.stored(packed.raw))
        split = WorkSplit(pool: pool, units: (rows + Int(kernel.pointee.format.pointee.row_group) - 1)
                              / Int(kernel.pointee.format.pointee.row_group),
                          work: stored * batch)
        description = String(cString: kernel.pointee.name) + stage.suffix + " [" + why + "]"
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        let y = outputs[0].assumingMemoryBound(to: Float.self)
        var task = FormatLinearTask(kernel: kernel, packed: UnsafeRawPointer(packed.raw), rows: rows, batch: batch,
                                    rowGroup: Int(kernel.pointee.format.pointee.row_group),
                                    x: inputs[0].assumingMemoryBound(to: Float.self), cols: cols, y: y,
                                    bias: bias.map { UnsafePointer($0.raw.assumingMemoryBound(to: Float.self)) },
                                    params: stage.params, tasks: split.tasks)
        task.run(split)
        if let post = stage.post { post.apply(y, y, batch * rows) }
    }
}

/// One Linear-format product, split by output rows.
struct FormatLinearTask {
    var kernel: UnsafePointer<ep_f32_linear_kernel>
    var packed: UnsafeRawPointer
    var rows: Int, batch: Int, rowGroup: Int
    var x: UnsafePointer<Float>, cols: Int
    var y: UnsafeMutablePointer<Float>
    var bias: UnsafePointer<Float>?
    var params: ep_f32_minmax_params
    var tasks: Int

    func execute(_ t: Int) {
        let r = tasks == 1 ? 0..<rows : WorkSplit.range(t, of: tasks, units: rows, granule: rowGroup)
        guard !r.isEmpty else { return }
        withUnsafePointer(to: params) { p in
            kernel.pointee.run(packed, r.lowerBound, r.upperBound, batch, x, cols, y, rows, bias, p)
        }
    }

    mutating func run(_ split: WorkSplit) {
        split.run(&self) { raw, t in raw.assumingMemoryBound(to: FormatLinearTask.self).pointee.execute(t) }
    }
}
