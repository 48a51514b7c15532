#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum BinaryFunction: Sendable {
    case add, sub, mul, div, pow, max, min, prelu
    // Comparisons: bool (one byte, 0 or 1) results.
    case greater, less, equal, greaterOrEqual, lessOrEqual

    var isComparison: Bool {
        switch self {
        case .greater, .less, .equal, .greaterOrEqual, .lessOrEqual: return true
        default: return false
        }
    }
}

/// Numeric element types the binary kernels run on.
protocol BinaryElement: Comparable {
    static func apply(_ f: BinaryFunction, _ a: Self, _ b: Self) -> Self
}

extension Float: BinaryElement {
    @inline(__always)
    static func apply(_ f: BinaryFunction, _ a: Float, _ b: Float) -> Float {
        switch f {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .pow: return powf(a, b)
        case .max: return a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
        case .min: return a.isNaN || b.isNaN ? .nan : Swift.min(a, b)
        case .prelu: return a < 0 ? a * b : a
        default: return 0
        }
    }
}

/// Integer arithmetic wraps, and division by zero yields 0 instead of trapping (bad data must
/// never crash the process).
extension BinaryElement where Self: FixedWidthInteger {
    @inline(__always)
    static func apply(_ f: BinaryFunction, _ a: Self, _ b: Self) -> Self {
        switch f {
        case .add: return a &+ b
        case .sub: return a &- b
        case .mul: return a &* b
        case .div: return b == 0 || (Self.isSigned && b == -1 && a == Self.min) ? 0 : a / b
        case .pow:
            var r: Self = 1
            var e = b
            while e > 0 { r = r &* a; e -= 1 }
            return r
        case .max: return Swift.max(a, b)
        case .min: return Swift.min(a, b)
        case .prelu: return a < 0 ? a &* b : a
        default: return 0
        }
    }
}
extension Int64: BinaryElement {}
extension Int32: BinaryElement {}
extension Int8: BinaryElement {}
extension UInt8: BinaryElement {}

/// Elementwise binary op with broadcasting. Not generic itself: `run` switches on the element
/// type and the function once, so every inner loop is specialised for a concrete type and
/// operation (a generic class called through the Kernel protocol would not be).
final class BinaryKernel: Kernel {
    let function: BinaryFunction
    let dtype: DType
    let plan: BroadcastPlan

    init(_ function: BinaryFunction, dtype: DType, plan: BroadcastPlan) {
        self.function = function
        self.dtype = dtype
        self.plan = plan
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        compute(inputs[0], inputs[1], outputs[0])
    }

    func compute(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ y: UnsafeMutableRawPointer) {
        switch dtype {
        case .float32: typed(Float.self, a, b, y)
        case .int64: typed(Int64.self, a, b, y)
        case .int32: typed(Int32.self, a, b, y)
        case .int8: typed(Int8.self, a, b, y)
        case .uint8, .bool: typed(UInt8.self, a, b, y)
        }
    }

    @inline(__always)
    private func typed<T: BinaryElement>(_: T.Type, _ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ y: UnsafeMutableRawPointer) {
        let pa = a.assumingMemoryBound(to: T.self), pb = b.assumingMemoryBound(to: T.self)
        let py = y.assumingMemoryBound(to: T.self), pc = y.assumingMemoryBound(to: UInt8.self)
        switch function {
        case .add: rows(pa, pb, py) { T.apply(.add, $0, $1) }
        case .sub: rows(pa, pb, py) { T.apply(.sub, $0, $1) }
        case .mul: rows(pa, pb, py) { T.apply(.mul, $0, $1) }
        case .div: rows(pa, pb, py) { T.apply(.div, $0, $1) }
        case .pow: rows(pa, pb, py) { T.apply(.pow, $0, $1) }
        case .max: rows(pa, pb, py) { T.apply(.max, $0, $1) }
        case .min: rows(pa, pb, py) { T.apply(.min, $0, $1) }
        case .prelu: rows(pa, pb, py) { T.apply(.prelu, $0, $1) }
        case .greater: rows(pa, pb, pc) { $0 > $1 ? 1 : 0 }
        case .less: rows(pa, pb, pc) { $0 < $1 ? 1 : 0 }
        case .equal: rows(pa, pb, pc) { $0 == $1 ? 1 : 0 }
        case .greaterOrEqual: rows(pa, pb, pc) { $0 >= $1 ? 1 : 0 }
        case .lessOrEqual: rows(pa, pb, pc) { $0 <= $1 ? 1 : 0 }
        }
    }

    /// The broadcast loop: flat rows with operand strides 0 or 1.
    @inline(__always)
    private func rows<T, R>(_ pa: UnsafePointer<T>, _ pb: UnsafePointer<T>, _ py: UnsafeMutablePointer<R>, _ op: (T, T) -> R) {
        let n = plan.inner, sa = plan.strideA, sb = plan.strideB
        plan.rowOffsetsA.withUnsafeBufferPointer { offA in
            plan.rowOffsetsB.withUnsafeBufferPointer { offB in
                for row in 0..<offA.count {
                    let ra = pa + offA[row], rb = pb + offB[row], ry = py + row * n
                    if sa == 1 && sb == 1 {
                        for i in 0..<n { ry[i] = op(ra[i], rb[i]) }
                    } else if sa == 1 {
                        let s = rb[0]
                        for i in 0..<n { ry[i] = op(ra[i], s) }
                    } else if sb == 1 {
                        let s = ra[0]
                        for i in 0..<n { ry[i] = op(s, rb[i]) }
                    } else {
                        let v = op(ra[0], rb[0])
                        for i in 0..<n { ry[i] = v }
                    }
                }
            }
        }
    }
}

/// Variadic Sum/Max/Min: the first pair into the output, then the output with each next input.
final class VariadicKernel: Kernel {
    let steps: [Kernel]   // BinaryKernel for (in0,in1), then (out,in2) ...; empty for one input
    let copyBytes: Int

    init(steps: [Kernel], copyBytes: Int) {
        self.steps = steps
        self.copyBytes = copyBytes
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        if steps.isEmpty {
            outputs[0].copyMemory(from: inputs[0], byteCount: copyBytes)
            return
        }
        steps[0].run(inputs: inputs, outputs: outputs, scratch: scratch)
        var pair: (UnsafeRawPointer, UnsafeRawPointer) = (UnsafeRawPointer(outputs[0]), inputs[0])
        for i in 1..<steps.count {
            pair.1 = inputs[i + 1]
            withUnsafePointer(to: &pair) {
                $0.withMemoryRebound(to: UnsafeRawPointer.self, capacity: 2) { p in
                    steps[i].run(inputs: p, outputs: outputs, scratch: scratch)
                }
            }
        }
    }
}

enum BinaryOps {
    static func makeKernel(_ f: BinaryFunction, dtype: DType, plan: BroadcastPlan, ctx: OpContext) throws -> Kernel {
        if dtype == .bool && !(f == .equal) {
            throw ctx.error("\(ctx.node.opType) does not take bool inputs", .unsupported)
        }
        return BinaryKernel(f, dtype: dtype, plan: plan)
    }

    static func function(_ op: String) -> BinaryFunction? {
        switch op {
        case "Add", "Sum": return .add
        case "Sub": return .sub
        case "Mul": return .mul
        case "Div": return .div
        case "Pow": return .pow
        case "Max": return .max
        case "Min": return .min
        case "PRelu": return .prelu
        case "Greater": return .greater
        case "Less": return .less
        case "Equal": return .equal
        case "GreaterOrEqual": return .greaterOrEqual
        case "LessOrEqual": return .lessOrEqual
        default: return nil
        }
    }

    static func prepareBinary(_ ctx: OpContext) throws -> PreparedOp {
        let a = try ctx.input(0)
        var b = try ctx.input(1)
        let f = function(ctx.node.opType)!
        if f == .pow {
            guard a.dtype == .float32 else { throw ctx.error("Pow supports f32 base only, got \(a.dtype)", .unsupported) }
            guard b.dtype == .float32 else { throw ctx.error("Pow supports f32 exponent only, got \(b.dtype)", .unsupported) }
        } else if a.dtype != b.dtype {
            throw ctx.error("input types differ: \(a.dtype) and \(b.dtype)", .shape)
        }
        if ctx.opset < 7, ctx.int("broadcast", 0) == 1, let axisAttr = ctx.node.int("axis") {
            // Opset 1-6 broadcasting: B's dims align with A's starting at `axis`.
            let axis = try ctx.axis(axisAttr, rank: a.rank)
            let trailing = a.rank - axis - b.rank
            guard trailing >= 0 else { throw ctx.error("legacy broadcast of \(Shape.describe(b.shape)) at axis \(axis) exceeds rank \(a.rank)", .shape) }
            b.shape += [Int](repeating: 1, count: trailing)
        }
        if f == .prelu {
            // Legacy exports give a per-channel slope as [C] for an N x C x ... input.
            if b.rank == 1 && a.rank > 2 && b.shape[0] == a.shape[1] && b.shape[0] != a.shape[a.rank - 1] {
                b.shape = [b.shape[0]] + [Int](repeating: 1, count: a.rank - 2)
            }
        }
        guard let out = Shape.broadcast(a.shape, b.shape) else {
            throw ctx.error("shapes \(Shape.describe(a.shape)) and \(Shape.describe(b.shape)) do not broadcast", .shape)
        }
        if f == .prelu && out != a.shape {
            throw ctx.error("slope shape \(Shape.describe(b.shape)) does not broadcast to input \(Shape.describe(a.shape))", .shape)
        }
        let y = try ctx.checked(TensorType(f.isComparison ? .bool : a.dtype, out))
        let k = try makeKernel(f, dtype: a.dtype, plan: BroadcastPlan(a: a.shape, b: b.shape, out: out), ctx: ctx)
        return .kernel(k, [y])
    }

    static func prepareVariadic(_ ctx: OpContext) throws -> PreparedOp {
        guard ctx.inputCount >= 1 else { throw ctx.error("needs at least one input") }
        let types = try (0..<ctx.inputCount).map { try ctx.input($0) }
        for t in types where t.dtype != types[0].dtype {
            throw ctx.error("input types differ: \(types[0].dtype) and \(t.dtype)", .shape)
        }
        var out = types[0].shape
        for t in types.dropFirst() {
            guard let s = Shape.broadcast(out, t.shape) else {
                throw ctx.error("shapes \(Shape.describe(out)) and \(Shape.describe(t.shape)) do not broadcast", .shape)
            }
            out = s
        }
        let y = try ctx.checked(TensorType(types[0].dtype, out))
        let f = function(ctx.node.opType)!
        var steps: [Kernel] = []
        if types.count > 1 {
            steps.append(try makeKernel(f, dtype: y.dtype, plan: BroadcastPlan(a: types[0].shape, b: types[1].shape, out: out), ctx: ctx))
            for t in types.dropFirst(2) {
                steps.append(try makeKernel(f, dtype: y.dtype, plan: BroadcastPlan(a: out, b: t.shape, out: out), ctx: ctx))
            }
        } else if types[0].shape != out {
            throw ctx.error("internal: single input must keep its shape")
        }
        return .kernel(VariadicKernel(steps: steps, copyBytes: y.byteCount), [y])
    }

    static let preparers: [String: OpPreparer] = [
        "Add": prepareBinary, "Sub": prepareBinary, "Mul": prepareBinary, "Div": prepareBinary,
        "Pow": prepareBinary, "PRelu": prepareBinary,
        "Greater": prepareBinary, "Less": prepareBinary, "Equal": prepareBinary,
        "GreaterOrEqual": prepareBinary, "LessOrEqual": prepareBinary,
        "Max": prepareVariadic, "Min": prepareVariadic, "Sum": prepareVariadic,
    ]
}
