/// Element types. Raw values are ONNX's TensorProto.DataType codes so files and imports map 1:1.
public enum DType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case float32 = 1
    case uint8 = 2
    case int8 = 3
    case int32 = 6
    case int64 = 7
    /// One byte per element, 0 or 1 (comparison results).
    case bool = 9

    public var byteSize: Int {
        switch self {
        case .float32, .int32: return 4
        case .uint8, .int8, .bool: return 1
        case .int64: return 8
        }
    }

    public var description: String {
        switch self {
        case .float32: return "f32"
        case .uint8: return "u8"
        case .int8: return "i8"
        case .int32: return "i32"
        case .int64: return "i64"
        case .bool: return "bool"
        }
    }

    /// Maps an ONNX data type code; names the unsupported ones.
    public static func fromONNX(_ code: Int32) throws -> DType {
        if let t = DType(rawValue: code) { return t }
        let names: [Int32: String] = [
            0: "undefined", 4: "uint16", 5: "int16", 8: "string", 10: "float16",
            11: "float64", 12: "uint32", 13: "uint64", 14: "complex64", 15: "complex128", 16: "bfloat16",
        ]
        throw EdgePruneError(.unsupported, "tensor element type \(names[code] ?? "code \(code)")")
    }
}
