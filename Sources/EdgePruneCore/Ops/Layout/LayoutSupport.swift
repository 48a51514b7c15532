/// Helpers shared by the layout and reduction ops: reading shape-like constants, normalising
/// axis lists, and building int64 result tensors.
enum LayoutSupport {
    /// A required input whose dims are sane: the product of its non-zero dims must not overflow,
    /// so products and strides over any subset of them are safe (a zero dim can otherwise hide
    /// huge ones).
    static func input(_ ctx: OpContext, _ i: Int) throws -> TensorType {
        let t = try ctx.input(i)
        guard t.shape.allSatisfy({ $0 >= 0 }), Shape.elementCount(t.shape.filter { $0 != 0 }) != nil else {
            throw ctx.error("input #\(i) shape \(Shape.describe(t.shape)) is negative or overflows", .limit)
        }
        return t
    }

    /// A required f32 input with sane dims.
    static func floatInput(_ ctx: OpContext, _ i: Int) throws -> TensorType {
        let t = try ctx.floatInput(i)
        _ = try input(ctx, i)
        return t
    }

    /// Integer values of a constant input (shape, axes, pads, starts ...). Must be an integer tensor.
    static func constInts(_ ctx: OpContext, _ i: Int, _ what: String) throws -> [Int] {
        let c = try ctx.requireConstant(i, what)
        guard c.dtype != .float32 else {
            throw ctx.error("\(what) (input #\(i)) must be an integer tensor, got \(c.dtype)")
        }
        guard c.shape.count <= 1 else {
            throw ctx.error("\(what) (input #\(i)) must be 1-D, got shape \(Shape.describe(c.shape))", .shape)
        }
        return c.asInts()
    }

    /// Integer list from an attribute (older opsets) or from a constant input (newer opsets).
    /// Returns nil when neither is given.
    static func intsAttrOrInput(_ ctx: OpContext, attr: String, input: Int, useInput: Bool,
                                _ what: String) throws -> [Int]? {
        if useInput {
            if ctx.hasInput(input) { return try constInts(ctx, input, what) }
            return nil
        }
        if let v = ctx.ints(attr) { return v }
        // Opset 1 variants of some ops carried these as inputs; accept them when present.
        if ctx.hasInput(input) { return try constInts(ctx, input, what) }
        return nil
    }

    /// Normalises axes against a rank; rejects out-of-range and repeated axes.
    static func normalizeAxes(_ ctx: OpContext, _ axes: [Int], rank: Int) throws -> [Int] {
        var seen = [Bool](repeating: false, count: rank)
        var out: [Int] = []
        out.reserveCapacity(axes.count)
        for a in axes {
            let n = try ctx.axis(a, rank: rank)
            if seen[n] { throw ctx.error("axis \(a) is repeated in \(axes)") }
            seen[n] = true
            out.append(n)
        }
        return out
    }

    /// Sum of sizes, or a limit error on overflow.
    static func sum(_ ctx: OpContext, _ values: [Int]) throws -> Int {
        var total = 0
        for v in values {
            let (s, o) = total.addingReportingOverflow(v)
            guard !o else { throw ctx.error("sizes \(values) overflow", .limit) }
            total = s
        }
        return total
    }

    /// Product of dims[range], or a limit error on overflow.
    static func product(_ ctx: OpContext, _ dims: ArraySlice<Int>) throws -> Int {
        guard let n = Shape.elementCount(Array(dims)) else {
            throw ctx.error("shape \(Shape.describe(Array(dims))) overflows", .limit)
        }
        return n
    }

    /// An int64 tensor (safe for zero elements).
    static func int64Tensor(_ values: [Int], shape: [Int]) -> Tensor {
        let t = Tensor(zeros: TensorType(.int64, shape))
        let p = t.pointer(as: Int64.self)
        for (i, v) in values.enumerated() { p[i] = Int64(v) }
        return t
    }

    /// The first element of a value, as raw bits of its element size, for fills.
    static func fillBits(_ value: Tensor) -> UInt64 {
        switch value.dtype.byteSize {
        case 1: return UInt64(value.raw.load(as: UInt8.self))
        case 4: return UInt64(value.raw.loadUnaligned(as: UInt32.self))
        default: return value.raw.loadUnaligned(as: UInt64.self)
        }
    }

    /// The bits of a float value converted to `dtype` (integer types truncate and saturate).
    static func fillBits(float v: Float, dtype: DType) -> UInt64 {
        func sat(_ lo: Double, _ hi: Double) -> Int64 {
            v.isNaN ? 0 : Int64(Swift.min(Swift.max(Double(v).rounded(.towardZero), lo), hi))
        }
        switch dtype {
        case .float32: return UInt64(v.bitPattern)
        case .uint8: return UInt64(UInt8(sat(0, 255)))
        case .int8: return UInt64(UInt8(bitPattern: Int8(sat(-128, 127))))
        case .int32: return UInt64(UInt32(bitPattern: Int32(sat(-2147483648, 2147483647))))
        case .int64: return UInt64(bitPattern: Int64(saturating: Double(v)))
        case .bool: return v != 0 ? 1 : 0
        }
    }

    /// Writes `n` elements of `bits` (element size 1, 4 or 8) starting at `dst`.
    @inline(__always)
    static func fill(_ dst: UnsafeMutableRawPointer, _ n: Int, bits: UInt64, elemSize: Int) {
        switch elemSize {
        case 1:
            dst.initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: bits), count: n)
        case 4:
            let v = UInt32(truncatingIfNeeded: bits)
            for i in 0..<n { dst.storeBytes(of: v, toByteOffset: i &* 4, as: UInt32.self) }
        default:
            for i in 0..<n { dst.storeBytes(of: bits, toByteOffset: i &* 8, as: UInt64.self) }
        }
    }

    /// Copies one element of `elemSize` bytes.
    @inline(__always)
    static func copyElement(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, elemSize: Int) {
        switch elemSize {
        case 1: dst.storeBytes(of: src.load(as: UInt8.self), as: UInt8.self)
        case 4: dst.storeBytes(of: src.loadUnaligned(as: UInt32.self), as: UInt32.self)
        default: dst.storeBytes(of: src.loadUnaligned(as: UInt64.self), as: UInt64.self)
        }
    }
}
