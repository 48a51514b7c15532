/// A prepared computation bound to concrete shapes. `run` must not allocate, validate or throw:
/// everything it needs was computed in prepare. Pointers address the executor's arena (or
/// constants); absent optional inputs get a placeholder pointer the kernel never reads.
public protocol Kernel: AnyObject {
    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer)
}

/// The result of preparing one node.
public struct PreparedOp {
    public enum Form {
        /// Computed at run time by a kernel.
        case kernel(Kernel)
        /// Output 0 is input #i with a new shape (no data movement): Reshape, Flatten, Squeeze...
        case view(input: Int)
        /// Outputs known at plan time without running anything (e.g. Shape).
        case constants([Tensor])
    }

    public var outputs: [TensorType]
    public var form: Form
    /// Scratch bytes the kernel needs during run (planned into the arena).
    public var scratchBytes: Int
    /// What runs, for `inspect` (e.g. the C microkernel's name).
    public var kernelName: String
    /// Multiply-accumulates per run (0 for data movement).
    public var macs: Int

    public init(outputs: [TensorType], form: Form, scratchBytes: Int = 0, kernelName: String = "swift", macs: Int = 0) {
        self.outputs = outputs
        self.form = form
        self.scratchBytes = scratchBytes
        self.kernelName = kernelName
        self.macs = macs
    }

    public static func kernel(_ k: Kernel, _ outputs: [TensorType], name: String = "swift", scratch: Int = 0, macs: Int = 0) -> PreparedOp {
        PreparedOp(outputs: outputs, form: .kernel(k), scratchBytes: scratch, kernelName: name, macs: macs)
    }
}

/// Prepares one node: validates attributes and input types, infers output types, builds the kernel.
public typealias OpPreparer = @Sendable (OpContext) throws -> PreparedOp
