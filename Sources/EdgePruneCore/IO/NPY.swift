/// NumPy .npy files (format 1.0-3.0), little-endian, C order. f64 arrays are converted to f32
/// and bool to u8 on read so arrays saved with numpy defaults work as inputs.
public enum NPY {
    public static func read(_ path: String) throws -> Tensor {
        do {
            return try decode(try FileIO.read(path))
        } catch let e as EdgePruneError where e.kind == .format {
            throw EdgePruneError(.format, "'\(path)': \(e.message)")
        }
    }

    public static func decode(_ bytes: [UInt8]) throws -> Tensor {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw EdgePruneError(.format, "not a .npy file (bad magic)") }
        let major = bytes[6]
        let headerLen: Int, start: Int
        if major == 1 {
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        } else if major == 2 || major == 3 {
            guard bytes.count >= 12 else { throw EdgePruneError(.format, "truncated .npy header") }
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        } else {
            throw EdgePruneError(.format, "unsupported .npy version \(major)")
        }
        guard start + headerLen <= bytes.count else { throw EdgePruneError(.format, "truncated .npy header") }
        let header = String(decoding: bytes[start..<(start + headerLen)], as: UTF8.self)
        guard let descr = field(header, "descr"), let fortran = field(header, "fortran_order"), let shapeText = field(header, "shape") else {
            throw EdgePruneError(.format, "malformed .npy header: \(header.prefix(80))")
        }
        guard fortran.hasPrefix("False") else { throw EdgePruneError(.format, "Fortran-order arrays are not supported; save with np.ascontiguousarray") }
        let d = descr.trimmingCharacters(in: "'\" ")
        let shape = try parseShape(shapeText)
        guard let count = Shape.elementCount(shape) else { throw EdgePruneError(.format, "invalid shape \(shapeText)") }
        let dataStart = start + headerLen
        let (dtype, srcSize): (DType, Int)
        switch d {
        case "<f4": (dtype, srcSize) = (.float32, 4)
        case "<f8": (dtype, srcSize) = (.float32, 8)
        case "<i8": (dtype, srcSize) = (.int64, 8)
        case "<i4": (dtype, srcSize) = (.int32, 4)
        case "|i1", "<i1": (dtype, srcSize) = (.int8, 1)
        case "|u1", "<u1": (dtype, srcSize) = (.uint8, 1)
        case "|b1": (dtype, srcSize) = (.bool, 1)
        default: throw EdgePruneError(.format, "unsupported .npy dtype '\(d)' (use float32, float64, int64, int32, int8 or uint8, little-endian)")
        }
        let (need, o) = count.multipliedReportingOverflow(by: srcSize)
        guard !o, bytes.count - dataStart >= need else {
            throw EdgePruneError(.format, "data is shorter than shape \(Shape.describe(shape)) of \(d) needs")
        }
        let t = Tensor(zeros: TensorType(dtype, shape))
        bytes.withUnsafeBytes { raw in
            let src = raw.baseAddress! + dataStart
            if d == "<f8" {
                let dst = t.pointer(as: Float.self)
                for i in 0..<count { dst[i] = Float(src.loadUnaligned(fromByteOffset: i * 8, as: Double.self)) }
            } else {
                t.raw.copyMemory(from: src, byteCount: need)
            }
        }
        return t
    }

    public static func encode(_ t: Tensor) -> [UInt8] {
        let descr: String
        switch t.dtype {
        case .float32: descr = "<f4"
        case .int64: descr = "<i8"
        case .int32: descr = "<i4"
        case .int8: descr = "|i1"
        case .uint8: descr = "|u1"
        case .bool: descr = "|b1"
        }
        let shape = t.shape.count == 1 ? "(\(t.shape[0]),)" : "(" + t.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        let len = header.utf8.count
        out += [UInt8(len & 0xFF), UInt8(len >> 8)]
        out += Array(header.utf8)
        out += Array(UnsafeRawBufferPointer(start: t.raw, count: t.byteCount))
        return out
    }

    public static func write(_ t: Tensor, to path: String) throws {
        try FileIO.writeAtomically(path, bytes: encode(t))
    }

    /// The text after `'key':` up to the next top-level comma.
    private static func field(_ header: String, _ key: String) -> String? {
        let needle = Array("'\(key)':"), chars = Array(header)
        guard needle.count <= chars.count,
              let at = (0...(chars.count - needle.count)).first(where: { Array(chars[$0..<($0 + needle.count)]) == needle }) else { return nil }
        var depth = 0
        var out = ""
        for ch in chars[(at + needle.count)...] {
            if ch == "(" { depth += 1 }
            if ch == ")" { depth -= 1; if depth < 0 { break } }
            if (ch == "," || ch == "}") && depth == 0 { break }
            out.append(ch)
        }
        return out.trimmingCharacters(in: " ")
    }

    private static func parseShape(_ text: String) throws -> [Int] {
        let inner = text.trimmingCharacters(in: "() ")
        if inner.isEmpty { return [] }
        return try inner.split(separator: ",").compactMap { part in
            let s = part.trimmingCharacters(in: " L")
            if s.isEmpty { return nil }
            guard let v = Int(s), v >= 0 else { throw EdgePruneError(.format, "invalid shape '\(text)'") }
            return v
        }
    }
}

extension StringProtocol {
    /// Trims any of the characters in `set` from both ends (no Foundation).
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
