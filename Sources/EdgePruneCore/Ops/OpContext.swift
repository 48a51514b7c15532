/// Limits the planner enforces on every value it plans.
public struct PlanLimits: Sendable {
    /// Largest single tensor, in bytes.
    public var maxTensorBytes: Int
    /// Largest arena plus packed weights, in bytes.
    public var maxTotalBytes: Int

    public init(maxTensorBytes: Int = 1 << 30, maxTotalBytes: Int = 4 << 30) {
        self.maxTensorBytes = maxTensorBytes
        self.maxTotalBytes = maxTotalBytes
    }
}

/// What an op sees when it is prepared: its node, concrete input types, and the values of
/// inputs known at plan time (initializers and folded constants).
public struct OpContext {
    public let node: Node
    public let opset: Int
    public let inputTypes: [TensorType?]
    public let constants: [Tensor?]
    public let limits: PlanLimits
    /// Worker threads kernels may split their work over (nil: single-threaded).
    public let pool: WorkerPool?
    /// How kernels and weight formats are chosen.
    public let policy: KernelPolicy

    public init(node: Node, opset: Int, inputTypes: [TensorType?], constants: [Tensor?],
                limits: PlanLimits = PlanLimits(), pool: WorkerPool? = nil, policy: KernelPolicy = KernelPolicy()) {
        self.node = node
        self.opset = opset
        self.inputTypes = inputTypes
        self.constants = constants
        self.limits = limits
        self.pool = pool
        self.policy = policy
    }

    public var inputCount: Int { inputTypes.count }

    /// An error naming this node.
    public func error(_ message: String, _ kind: EdgePruneError.Kind = .invalidModel) -> EdgePruneError {
        EdgePruneError(kind, "\(node.label): \(message)")
    }

    public func hasInput(_ i: Int) -> Bool { i < inputTypes.count && inputTypes[i] != nil }

    /// The type of a required input.
    public func input(_ i: Int) throws -> TensorType {
        guard i < inputTypes.count, let t = inputTypes[i] else {
            throw error("missing required input #\(i)")
        }
        return t
    }

    /// The type of a required f32 input.
    public func floatInput(_ i: Int) throws -> TensorType {
        let t = try input(i)
        guard t.dtype == .float32 else { throw error("input #\(i) must be f32, got \(t.dtype)", .unsupported) }
        return t
    }

    public func constant(_ i: Int) -> Tensor? { i < constants.count ? constants[i] : nil }

    /// An input that must be known at plan time (shape, axes, pads ...).
    public func requireConstant(_ i: Int, _ what: String) throws -> Tensor {
        guard let c = constant(i) else {
            throw error("\(what) (input #\(i)) must be a constant known at load time", .unsupported)
        }
        return c
    }

    /// Normalised axis or an error naming the axis and rank.
    public func axis(_ a: Int, rank: Int) throws -> Int {
        guard let n = Shape.normalizeAxis(a, rank: rank) else {
            throw error("axis \(a) is out of range for rank \(rank)", .shape)
        }
        return n
    }

    /// Checks an output shape against overflow and the memory limits.
    public func checked(_ type: TensorType) throws -> TensorType {
        guard let n = Shape.elementCount(type.shape) else {
            throw error("output shape \(Shape.describe(type.shape)) is negative or overflows", .limit)
        }
        let (bytes, o) = n.multipliedReportingOverflow(by: type.dtype.byteSize)
        if o || bytes > limits.maxTensorBytes {
            throw error("output \(type) needs \(o ? "more than Int.max" : String(bytes)) bytes, over the \(limits.maxTensorBytes)-byte tensor limit", .limit)
        }
        return type
    }

    // Attributes with defaults.
    public func int(_ key: String, _ def: Int) -> Int { node.int(key) ?? def }
    public func float(_ key: String, _ def: Float) -> Float { node.float(key) ?? def }
    public func ints(_ key: String) -> [Int]? { node.ints(key) }
    public func string(_ key: String, _ def: String) -> String { node.string(key) ?? def }
}
