import EdgePruneCore
import Foundation

/// Tensor → TensorProto, the inverse of `ONNXTensor.decode`: the element bytes go to `raw_data`
/// unchanged. ONNX defines raw_data as little-endian, which is also the runtime's in-memory order
/// (every supported target, x86-64 and ARM64, is little-endian), so no element is converted.
extension ONNXTensor {
    static func encode(_ t: Tensor, name: String = "") -> Onnx_TensorProto {
        var p = Onnx_TensorProto()
        if !name.isEmpty { p.name = name }
        p.dataType = t.dtype.rawValue
        p.dims = t.shape.map { Int64($0) }
        // `DType`'s raw values are ONNX's data type codes; each element type is stored as its own
        // bytes (bool as one byte 0/1, int8/uint8 as one byte), which is exactly what ONNX's
        // raw_data holds for these types.
        p.rawData = t.byteCount > 0 ? Data(bytes: t.raw, count: t.byteCount) : Data()
        return p
    }

    /// Attribute → AttributeProto with its `type` set (readers infer nothing).
    static func encode(_ value: Attribute, name: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        switch value {
        case .int(let v): a.type = .int; a.i = Int64(v)
        case .float(let v): a.type = .float; a.f = v
        case .string(let v): a.type = .string; a.s = Data(v.utf8)
        case .ints(let v): a.type = .ints; a.ints = v.map { Int64($0) }
        case .floats(let v): a.type = .floats; a.floats = v
        case .strings(let v): a.type = .strings; a.strings = v.map { Data($0.utf8) }
        case .tensor(let v): a.type = .tensor; a.t = encode(v)
        }
        return a
    }

    /// ValueInfo → ValueInfoProto. Fixed dims become dim_value, named symbolic dims dim_param, and
    /// the importer's "?" (a dim with neither) is written back as a dim with neither. A value
    /// with no dims is written without a shape: the importer reads "no shape" and "scalar" alike
    /// as no dims, and "unknown rank" is the reading that never rejects a valid input.
    static func encode(_ v: ValueInfo) -> Onnx_ValueInfoProto {
        var tt = Onnx_TypeProto.Tensor()
        tt.elemType = v.dtype.rawValue
        if !v.dims.isEmpty {
            var shape = Onnx_TensorShapeProto()
            shape.dim = v.dims.map { d in
                var dim = Onnx_TensorShapeProto.Dimension()
                switch d {
                case .fixed(let n): dim.dimValue = Int64(n)
                case .symbolic(let s) where s.isEmpty || s == "?": break
                case .symbolic(let s): dim.dimParam = s
                }
                return dim
            }
            tt.shape = shape
        }
        var type = Onnx_TypeProto()
        type.tensorType = tt
        var p = Onnx_ValueInfoProto()
        p.name = v.name
        p.type = type
        return p
    }
}
