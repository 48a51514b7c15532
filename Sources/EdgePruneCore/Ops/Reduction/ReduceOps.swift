/// Element types the Reduce* kernels accumulate in.
protocol ReduceElement {
    static var zero: Self { get }
    static var reduceLowest: Self { get }
    static func reduceAdd(_ a: Self, _ b: Self) -> Self
    static func reduceGreater(_ a: Self, _ b: Self) -> Bool
    /// p[i] *= s (used by ReduceMean; a no-op for integers, which do not support it).
    static func reduceScale(_ p: UnsafeMutablePointer<Self>, _ n: Int, by s: Float)
}

extension Float: ReduceElement {
    static var reduceLowest: Float { -.infinity }
    @inline(__always) static func reduceAdd(_ a: Float, _ b: Float) -> Float { a + b }
    @inline(__always) static func reduceGreater(_ a: Float, _ b: Float) -> Bool { a > b }
    static func reduceScale(_ p: UnsafeMutablePointer<Float>, _ n: Int, by s: Float) {
        for i in 0..<n { p[i] *= s }
    }
}
extension ReduceElement where Self: FixedWidthInteger {
    static var reduceLowest: Self { .min }
    @inline(__always) static func reduceAdd(_ a: Self, _ b: Self) -> Self { a &+ b }
    @inline(__always) static func reduceGreater(_ a: Self, _ b: Self) -> Bool { a > b }
    static func reduceScale(_ p: UnsafeMutablePointer<Self>, _ n: Int, by s: Float) {}
}
extension Int32: ReduceElement {}
extension Int64: ReduceElement {}

enum ReduceKind { case sum, mean, max }

/// Reduces over any set of axes. At prepare the input dims are merged into alternating kept /
/// reduced runs with output strides (0 on reduced runs); run initialises the output and walks
/// the input once in memory order, accumulating into the output. (Not a generic class: a generic
/// class's methods run unspecialised through its vtable; the static generic helpers below are
/// specialised per element type at the dtype switch.)
final class ReduceKernel: Kernel {
    let kind: ReduceKind
    let dtype: DType
    let dims: [Int]
    let outStrides: [Int]
    let outCount: Int
    let inCount: Int
    let scale: Float   // 1 / reduced count, for mean

    init(kind: ReduceKind, dtype: DType, shape: [Int], reduced: [Bool], scale: Float) {
        self.kind = kind
        self.dtype = dtype
        self.scale = scale
        var d: [Int] = [], r: [Bool] = []
        for (n, red) in zip(shape, reduced) where n != 1 {
            if let last = r.last, last == red {
                d[d.count - 1] *= n
            } else {
                d.append(n)
                r.append(red)
            }
        }
        var strides = [Int](repeating: 0, count: d.count)
        var acc = 1
        for i in stride(from: d.count - 1, through: 0, by: -1) where !r[i] {
            strides[i] = acc
            acc *= d[i]
        }
        dims = d
        outStrides = strides
        outCount = acc
        inCount = shape.reduce(1, *)
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        switch dtype {
        case .int32: reduce(Int32.self, inputs[0], outputs[0])
        case .int64: reduce(Int64.self, inputs[0], outputs[0])
        default: reduce(Float.self, inputs[0], outputs[0])
        }
    }

    @inline(__always)
    private func reduce<T: ReduceElement>(_: T.Type, _ xr: UnsafeRawPointer, _ yr: UnsafeMutableRawPointer) {
        let x = xr.assumingMemoryBound(to: T.self)
        let y = yr.assumingMemoryBound(to: T.self)
        let initial = kind == .max ? T.reduceLowest : T.zero
        for i in 0..<outCount { y[i] = initial }
        if inCount > 0 {
            if dims.isEmpty {
                Self.accumulate(kind == .max, x, y, 1, 0)
            } else {
                dims.withUnsafeBufferPointer { d in
                    outStrides.withUnsafeBufferPointer { os in
                        _ = Self.walk(0, d, os, kind == .max, x, y)
                    }
                }
            }
        }
        if kind == .mean { T.reduceScale(y, outCount, by: scale) }
    }

    /// Walks dim `d` from input position `x`; returns the input position after it.
    private static func walk<T: ReduceElement>(_ d: Int, _ dims: UnsafeBufferPointer<Int>, _ outStrides: UnsafeBufferPointer<Int>,
                                               _ isMax: Bool, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>) -> UnsafePointer<T> {
        let n = dims[d], os = outStrides[d]
        if d == dims.count - 1 {
            accumulate(isMax, x, y, n, os)
            return x + n
        }
        var p = x
        for i in 0..<n { p = walk(d + 1, dims, outStrides, isMax, p, y + i &* os) }
        return p
    }

    @inline(__always)
    private static func accumulate<T: ReduceElement>(_ isMax: Bool, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>,
                                                     _ n: Int, _ os: Int) {
        if os == 0 {
            if isMax {
                var a = y[0]
                for i in 0..<n where T.reduceGreater(x[i], a) { a = x[i] }
                y[0] = a
            } else {
                // Four partial sums break the add dependency chain.
                var a0 = T.zero, a1 = T.zero, a2 = T.zero, a3 = T.zero
                var i = 0
                while i &+ 4 <= n {
                    a0 = T.reduceAdd(a0, x[i]); a1 = T.reduceAdd(a1, x[i &+ 1])
                    a2 = T.reduceAdd(a2, x[i &+ 2]); a3 = T.reduceAdd(a3, x[i &+ 3])
                    i &+= 4
                }
                while i < n { a0 = T.reduceAdd(a0, x[i]); i &+= 1 }
                y[0] = T.reduceAdd(y[0], T.reduceAdd(T.reduceAdd(a0, a1), T.reduceAdd(a2, a3)))
            }
        } else if isMax {
            for i in 0..<n where T.reduceGreater(x[i], y[i]) { y[i] = x[i] }
        } else {
            for i in 0..<n { y[i] = T.reduceAdd(y[i], x[i]) }
        }
    }
}

enum ReduceOps {
    /// The opset from which `axes` is an input instead of an attribute.
    static func axesInputOpset(_ op: String) -> Int { op == "ReduceSum" ? 13 : 18 }

    static func prepare(_ ctx: OpContext) throws -> PreparedOp {
        let op = ctx.node.opType
        let kind: ReduceKind = op == "ReduceSum" ? .sum : op == "ReduceMean" ? .mean : .max
        let x = try LayoutSupport.input(ctx, 0)
        switch (x.dtype, kind) {
        case (.float32, _), (.int32, .sum), (.int64, .sum), (.int32, .max), (.int64, .max): break
        default: throw ctx.error("\(op) does not support \(x.dtype) input", .unsupported)
        }
        let useInput = ctx.opset >= axesInputOpset(op)
        var axesList: [Int] = []
        if useInput && ctx.hasInput(1) {
            axesList = try LayoutSupport.constInts(ctx, 1, "\(op) axes")
        } else if let a = ctx.ints("axes") {
            axesList = a
        }
        let keepDims = ctx.int("keepdims", 1) != 0
        if axesList.isEmpty && ctx.int("noop_with_empty_axes", 0) != 0 {
            return PreparedOp(outputs: [x], form: .view(input: 0))
        }
        var reduced = [Bool](repeating: axesList.isEmpty, count: x.rank)
        for a in try LayoutSupport.normalizeAxes(ctx, axesList, rank: x.rank) { reduced[a] = true }
        var shape: [Int] = []
        var reducedCount = 1
        for i in 0..<x.rank {
            if reduced[i] {
                reducedCount *= x.shape[i]
                if keepDims { shape.append(1) }
            } else {
                shape.append(x.shape[i])
            }
        }
        let y = try ctx.checked(TensorType(x.dtype, shape))
        let scale: Float = reducedCount == 0 ? .nan : 1 / Float(reducedCount)
        let k = ReduceKernel(kind: kind, dtype: x.dtype, shape: x.shape, reduced: reduced, scale: scale)
        return .kernel(k, [y], macs: x.count)
    }
}
