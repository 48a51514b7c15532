/// Element type and concrete shape of a value.
public struct TensorType: Equatable, Sendable, CustomStringConvertible {
    public var dtype: DType
    public var shape: [Int]

    public init(_ dtype: DType, _ shape: [Int]) {
        self.dtype = dtype
        self.shape = shape
    }

    public var count: Int { Shape.elementCount(shape) ?? 0 }
    public var byteCount: Int { count * dtype.byteSize }
    public var rank: Int { shape.count }
    public var description: String { "\(dtype)\(Shape.describe(shape))" }
}

/// A tensor value: type plus data in a Buffer. Constants (weights) use this; the executor's
/// activations live in the arena and are addressed by raw pointers instead.
public struct Tensor: @unchecked Sendable {
    public let type: TensorType
    public let buffer: Buffer
    public let byteOffset: Int

    public var dtype: DType { type.dtype }
    public var shape: [Int] { type.shape }
    public var count: Int { type.count }
    public var byteCount: Int { type.byteCount }
    public var rank: Int { type.rank }

    public init(type: TensorType, buffer: Buffer, byteOffset: Int = 0) {
        self.type = type
        self.buffer = buffer
        self.byteOffset = byteOffset
    }

    /// A zero-filled tensor with owned storage.
    public init(zeros type: TensorType) {
        self.init(type: type, buffer: Buffer(byteCount: type.byteCount))
    }

    public init(_ values: [Float], shape: [Int]) {
        precondition(Shape.elementCount(shape) == values.count, "shape does not match value count")
        self.init(zeros: TensorType(.float32, shape))
        values.withUnsafeBytes { raw.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    public init(int64 values: [Int64], shape: [Int]) {
        precondition(Shape.elementCount(shape) == values.count, "shape does not match value count")
        self.init(zeros: TensorType(.int64, shape))
        values.withUnsafeBytes { raw.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    public var raw: UnsafeMutableRawPointer { buffer.raw + byteOffset }

    public func pointer<T>(as: T.Type) -> UnsafeMutablePointer<T> {
        raw.assumingMemoryBound(to: T.self)
    }

    public var floats: [Float] {
        precondition(dtype == .float32)
        return Array(UnsafeBufferPointer(start: pointer(as: Float.self), count: count))
    }

    /// Values converted to Int (for shape-like inputs: Reshape shape, Slice starts, pads...).
    public func asInts() -> [Int] {
        switch dtype {
        case .int64: return UnsafeBufferPointer(start: pointer(as: Int64.self), count: count).map { Int($0) }
        case .int32: return UnsafeBufferPointer(start: pointer(as: Int32.self), count: count).map { Int($0) }
        case .int8: return UnsafeBufferPointer(start: pointer(as: Int8.self), count: count).map { Int($0) }
        case .uint8, .bool: return UnsafeBufferPointer(start: pointer(as: UInt8.self), count: count).map { Int($0) }
        case .float32:
            return UnsafeBufferPointer(start: pointer(as: Float.self), count: count).map {
                $0.isFinite ? Int(max(min($0, 9.0e18), -9.0e18)) : 0
            }
        }
    }

    /// Values converted to Float (for scalar inputs such as Clip bounds or Pad values).
    public func asFloats() -> [Float] {
        switch dtype {
        case .float32: return floats
        default: return asInts().map { Float($0) }
        }
    }

    /// A copy with owned storage (used when a borrowed constant must be modified, e.g. BN folding).
    public func copy() -> Tensor {
        let t = Tensor(zeros: type)
        t.raw.copyMemory(from: raw, byteCount: byteCount)
        return t
    }

    /// Same bytes, new shape (element count must match).
    public func reshaped(_ shape: [Int]) -> Tensor {
        precondition(Shape.elementCount(shape) == count)
        return Tensor(type: TensorType(dtype, shape), buffer: buffer, byteOffset: byteOffset)
    }
}
