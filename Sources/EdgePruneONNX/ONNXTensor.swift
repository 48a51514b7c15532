import EdgePruneCore
import Foundation

/// TensorProto → Tensor: raw_data (little-endian) or the typed repeated fields, checked against
/// the declared shape.
enum ONNXTensor {
    static func decode(_ p: Onnx_TensorProto, limits: PlanLimits, what: String) throws -> Tensor {
        let name = p.name.isEmpty ? what : "tensor '\(p.name)'"
        if p.dataLocation == .external {
            throw EdgePruneError(.unsupported, "\(name) uses external data; save the model with all tensors inside the .onnx file")
        }
        if p.hasSegment { throw EdgePruneError(.unsupported, "\(name) is segmented") }
        let dtype: DType
        do { dtype = try DType.fromONNX(p.dataType) } catch let e as EdgePruneError {
            throw EdgePruneError(e.kind, "\(name): \(e.message)")
        }
        let shape = p.dims.map { Int($0) }
        guard let count = Shape.elementCount(shape) else {
            throw EdgePruneError(.invalidModel, "\(name) has invalid shape \(Shape.describe(shape))")
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, bytes <= limits.maxTensorBytes else {
            throw EdgePruneError(.limit, "\(name) shape \(Shape.describe(shape)) exceeds the \(limits.maxTensorBytes)-byte tensor limit")
        }
        // Sizes are checked against the bytes actually present before anything is allocated.
        if !p.rawData.isEmpty || (count > 0 && typedCount(p, dtype) == 0) {
            guard p.rawData.count == bytes else {
                throw EdgePruneError(.invalidModel, "\(name) raw data has \(p.rawData.count) bytes, shape \(Shape.describe(shape)) of \(dtype) needs \(bytes)")
            }
            let t = Tensor(zeros: TensorType(dtype, shape))
            if bytes > 0 { p.rawData.withUnsafeBytes { t.raw.copyMemory(from: $0.baseAddress!, byteCount: bytes) } }
            return t
        }
        guard typedCount(p, dtype) == count else {
            throw EdgePruneError(.invalidModel, "\(name) has \(typedCount(p, dtype)) values, shape \(Shape.describe(shape)) needs \(count)")
        }
        let t = Tensor(zeros: TensorType(dtype, shape))
        guard count > 0 else { return t }
        switch dtype {
        case .float32: p.floatData.withUnsafeBytes { t.raw.copyMemory(from: $0.baseAddress!, byteCount: bytes) }
        case .int64: p.int64Data.withUnsafeBytes { t.raw.copyMemory(from: $0.baseAddress!, byteCount: bytes) }
        case .int32: p.int32Data.withUnsafeBytes { t.raw.copyMemory(from: $0.baseAddress!, byteCount: bytes) }
        case .int8: for (i, v) in p.int32Data.enumerated() { t.pointer(as: Int8.self)[i] = Int8(truncatingIfNeeded: v) }
        case .uint8: for (i, v) in p.int32Data.enumerated() { t.pointer(as: UInt8.self)[i] = UInt8(truncatingIfNeeded: v) }
        case .bool: for (i, v) in p.int32Data.enumerated() { t.pointer(as: UInt8.self)[i] = v != 0 ? 1 : 0 }
        }
        return t
    }

    private static func typedCount(_ p: Onnx_TensorProto, _ dtype: DType) -> Int {
        switch dtype {
        case .float32: return p.floatData.count
        case .int64: return p.int64Data.count
        case .int32, .int8, .uint8, .bool: return p.int32Data.count
        }
    }

    /// Decodes a serialized TensorProto file (the backend tests' input_N.pb / output_N.pb).
    static func load(_ path: String, limits: PlanLimits = PlanLimits()) throws -> Tensor {
        let bytes = try FileIO.read(path, maxBytes: limits.maxTensorBytes + (1 << 20))
        let proto: Onnx_TensorProto
        do { proto = try Onnx_TensorProto(serializedBytes: bytes) } catch {
            throw EdgePruneError(.format, "'\(path)' is not a serialized ONNX TensorProto")
        }
        return try decode(proto, limits: limits, what: "tensor in '\(path)'")
    }
}
