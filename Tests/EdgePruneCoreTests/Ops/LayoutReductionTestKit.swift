import XCTest
@testable import EdgePruneCore

/// Helpers for the layout / reduction op tests: building nodes and tensors, running one op, and
/// simple index arithmetic for the nested-loop reference computations.
enum LRKit {
    static func node(_ op: String, inputs: Int, outputs: Int = 1, absent: Set<Int> = [],
                     _ attrs: [String: Attribute] = [:]) -> Node {
        Node(name: "n_\(op)", opType: op,
             inputs: (0..<inputs).map { absent.contains($0) ? "" : "x\($0)" },
             outputs: (0..<outputs).map { "y\($0)" }, attributes: attrs)
    }

    /// Runs one op through OpEvaluator (every given input is also a constant).
    static func run(_ op: String, opset: Int = 17, _ inputs: [Tensor?], outputs: Int = 1,
                    _ attrs: [String: Attribute] = [:]) throws -> [Tensor] {
        let absent = Set(inputs.indices.filter { inputs[$0] == nil })
        let n = node(op, inputs: inputs.count, outputs: outputs, absent: absent, attrs)
        return try OpEvaluator.evaluate(n, opset: opset, inputs: inputs)
    }

    static func run1(_ op: String, opset: Int = 17, _ inputs: [Tensor?], _ attrs: [String: Attribute] = [:]) throws -> Tensor {
        try run(op, opset: opset, inputs, attrs)[0]
    }

    /// Prepares one op with explicit constants (nil = known only at run time).
    static func prepare(_ op: String, opset: Int = 17, types: [TensorType?], constants: [Tensor?],
                        outputs: Int = 1, _ attrs: [String: Attribute] = [:]) throws -> PreparedOp {
        let absent = Set(types.indices.filter { types[$0] == nil })
        let n = node(op, inputs: types.count, outputs: outputs, absent: absent, attrs)
        let ctx = OpContext(node: n, opset: opset, inputTypes: types, constants: constants)
        return try OpRegistry.preparer(for: n)(ctx)
    }

    /// Runs a prepared kernel on concrete inputs (as the executor would, without constants).
    static func execute(_ p: PreparedOp, _ inputs: [Tensor]) -> [Tensor] {
        guard case .kernel(let k) = p.form else { fatalError("not a kernel") }
        let outs = p.outputs.map { Tensor(zeros: $0) }
        let scratch = Buffer(byteCount: p.scratchBytes)
        let ins = inputs.map { UnsafeRawPointer($0.raw) }
        let os = outs.map(\.raw)
        withExtendedLifetime((inputs, outs, scratch)) {
            ins.withUnsafeBufferPointer { ip in
                os.withUnsafeBufferPointer { op in
                    k.run(inputs: ip.baseAddress!, outputs: op.baseAddress!, scratch: scratch.raw)
                }
            }
        }
        return outs
    }

    // MARK: tensors

    static func f32(_ v: [Float], _ shape: [Int]) -> Tensor { Tensor(v, shape: shape) }

    /// f32 tensor holding 0, 1, 2, ... (or a deterministic pseudo-random pattern).
    static func iota(_ shape: [Int], scrambled: Bool = false) -> Tensor {
        let n = shape.reduce(1, *)
        let t = Tensor(zeros: TensorType(.float32, shape))
        let p = t.pointer(as: Float.self)
        for i in 0..<n { p[i] = scrambled ? Float((i * 7919 + 13) % 101) / 10 - 5 : Float(i) }
        return t
    }

    static func i64(_ v: [Int], _ shape: [Int]? = nil) -> Tensor {
        let t = Tensor(zeros: TensorType(.int64, shape ?? [v.count]))
        for (i, x) in v.enumerated() { t.pointer(as: Int64.self)[i] = Int64(x) }
        return t
    }

    /// A tensor of any dtype whose element i holds the low bits of (i * 37 + 11).
    static func pattern(_ dtype: DType, _ shape: [Int]) -> Tensor {
        let t = Tensor(zeros: TensorType(dtype, shape))
        for i in 0..<t.count { setBits(t, i, UInt64(i * 37 + 11) | (dtype.byteSize == 8 ? UInt64(i) << 40 : 0)) }
        return t
    }

    static func typed(_ dtype: DType, _ v: [Int], _ shape: [Int]) -> Tensor {
        let t = Tensor(zeros: TensorType(dtype, shape))
        for (i, x) in v.enumerated() {
            switch dtype {
            case .float32: t.pointer(as: Float.self)[i] = Float(x)
            case .uint8, .bool: t.pointer(as: UInt8.self)[i] = UInt8(truncatingIfNeeded: x)
            case .int8: t.pointer(as: Int8.self)[i] = Int8(truncatingIfNeeded: x)
            case .int32: t.pointer(as: Int32.self)[i] = Int32(truncatingIfNeeded: x)
            case .int64: t.pointer(as: Int64.self)[i] = Int64(x)
            }
        }
        return t
    }

    static func bits(_ t: Tensor, _ i: Int) -> UInt64 {
        switch t.dtype.byteSize {
        case 1: return UInt64(t.raw.load(fromByteOffset: i, as: UInt8.self))
        case 4: return UInt64(t.raw.load(fromByteOffset: i * 4, as: UInt32.self))
        default: return t.raw.load(fromByteOffset: i * 8, as: UInt64.self)
        }
    }

    static func setBits(_ t: Tensor, _ i: Int, _ v: UInt64) {
        switch t.dtype.byteSize {
        case 1: t.raw.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: i, as: UInt8.self)
        case 4: t.raw.storeBytes(of: UInt32(truncatingIfNeeded: v), toByteOffset: i * 4, as: UInt32.self)
        default: t.raw.storeBytes(of: v, toByteOffset: i * 8, as: UInt64.self)
        }
    }

    static func int64s(_ t: Tensor) -> [Int] { (0..<t.count).map { Int(t.pointer(as: Int64.self)[$0]) } }

    static func allBits(_ t: Tensor) -> [UInt64] { (0..<t.count).map { bits(t, $0) } }

    // MARK: index arithmetic

    /// Row-major multi-index of flat position i.
    static func unravel(_ i: Int, _ shape: [Int]) -> [Int] {
        var r = i
        var idx = [Int](repeating: 0, count: shape.count)
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            idx[d] = r % shape[d]
            r /= shape[d]
        }
        return idx
    }

    static func flat(_ idx: [Int], _ shape: [Int]) -> Int {
        var f = 0
        for d in 0..<shape.count { f = f * shape[d] + idx[d] }
        return f
    }

    // MARK: assertions

    static func assertClose(_ a: [Float], _ b: [Float], tol: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, "count", file: file, line: line)
        for (i, (x, y)) in zip(a, b).enumerated() where !(abs(x - y) <= tol * max(1, abs(y))) {
            XCTFail("element \(i): \(x) != \(y)", file: file, line: line)
            return
        }
    }

    static func assertError(_ kind: EdgePruneError.Kind, _ fragment: String? = nil,
                            file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Any) {
        do {
            _ = try body()
            XCTFail("expected a \(kind) error", file: file, line: line)
        } catch let e as EdgePruneError {
            XCTAssertEqual(e.kind, kind, "\(e)", file: file, line: line)
            if let f = fragment {
                XCTAssertTrue(e.message.contains(f), "'\(e.message)' should mention '\(f)'", file: file, line: line)
            }
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }
}
