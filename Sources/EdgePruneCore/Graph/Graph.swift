/// A dimension of a declared graph input or output: fixed, or symbolic (e.g. the batch "N").
public enum Dim: Equatable, Sendable, CustomStringConvertible {
    case fixed(Int)
    case symbolic(String)

    public var description: String {
        switch self {
        case .fixed(let n): return String(n)
        case .symbolic(let s): return s.isEmpty ? "?" : s
        }
    }
}

/// A declared graph input or output.
public struct ValueInfo: Sendable {
    public var name: String
    public var dtype: DType
    public var dims: [Dim]

    public init(name: String, dtype: DType, dims: [Dim]) {
        self.name = name
        self.dtype = dtype
        self.dims = dims
    }

    public var shapeDescription: String { "[" + dims.map(\.description).joined(separator: ",") + "]" }
}

/// The graph IR: what ONNX import and the .epm loader produce and the planner consumes.
public struct Graph: Sendable {
    public var name: String
    public var nodes: [Node]
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]
    /// Constant tensors (weights), by value name.
    public var initializers: [String: Tensor]
    /// Default-domain opset the graph was written for (7...21 from ONNX).
    public var opset: Int
    /// Free-form metadata (producer, class names, input normalisation ...).
    public var metadata: [String: String]
    /// The nested sparsity ladder a pruning run stored with the model (nil: a plain model).
    public var ladder: SparsityLadder?

    public init(name: String = "graph", nodes: [Node] = [], inputs: [ValueInfo] = [],
                outputs: [ValueInfo] = [], initializers: [String: Tensor] = [:], opset: Int = 13,
                metadata: [String: String] = [:], ladder: SparsityLadder? = nil) {
        self.name = name
        self.nodes = nodes
        self.inputs = inputs
        self.outputs = outputs
        self.initializers = initializers
        self.opset = opset
        self.metadata = metadata
        self.ladder = ladder
    }

    /// Graph inputs that are not initializers (ONNX allows initializers to be listed as inputs).
    public var runtimeInputs: [ValueInfo] { inputs.filter { initializers[$0.name] == nil } }
}
