import EdgePruneCore

/// A dense row-major tensor for training: a shape and its elements. Values, not references:
/// the graph keeps one per activation and gradient.
public struct TrainTensor<T: TrainScalar>: Sendable, Equatable {
    public var shape: [Int]
    public var data: [T]

    public init(shape: [Int], data: [T]) {
        precondition(shape.reduce(1, *) == data.count, "shape \(shape) does not hold \(data.count) elements")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [T](repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// The same elements under another shape of the same size.
    public func reshaped(_ shape: [Int]) -> TrainTensor { TrainTensor(shape: shape, data: data) }

    /// this += other, elementwise (same shape).
    mutating func accumulate(_ other: TrainTensor) {
        precondition(other.count == count)
        data.withUnsafeMutableBufferPointer { d in
            other.data.withUnsafeBufferPointer { o in
                for i in 0..<d.count { d[i] += o[i] }
            }
        }
    }
}
