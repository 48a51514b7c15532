/// Cast between the supported element types (C conversion semantics: floats truncate toward
/// zero; out-of-range and NaN values saturate instead of trapping).
final class CastKernel: Kernel {
    let from: DType, to: DType, count: Int

    init(from: DType, to: DType, count: Int) {
        self.from = from
        self.to = to
        self.count = count
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        Self.convert(from: from, inputs[0], to: to, outputs[0], count: count)
    }

    static func convert(from: DType, _ src: UnsafeRawPointer, to: DType, _ dst: UnsafeMutableRawPointer, count n: Int) {
        if from == to {
            dst.copyMemory(from: src, byteCount: n * from.byteSize)
            return
        }
        // Read every source as Double (exact for all our types but very large int64), then write.
        for i in 0..<n {
            let v: Double
            switch from {
            case .float32: v = Double(src.load(fromByteOffset: i * 4, as: Float.self))
            case .uint8: v = Double(src.load(fromByteOffset: i, as: UInt8.self))
            case .bool: v = src.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0
            case .int8: v = Double(src.load(fromByteOffset: i, as: Int8.self))
            case .int32: v = Double(src.load(fromByteOffset: i * 4, as: Int32.self))
            case .int64:
                let iv = src.load(fromByteOffset: i * 8, as: Int64.self)
                if to == .int32 { dst.storeBytes(of: Int32(truncatingIfNeeded: iv), toByteOffset: i * 4, as: Int32.self); continue }
                v = Double(iv)
            }
            switch to {
            case .float32: dst.storeBytes(of: Float(v), toByteOffset: i * 4, as: Float.self)
            case .uint8: dst.storeBytes(of: UInt8(saturating(v, 0, 255)), toByteOffset: i, as: UInt8.self)
            case .int8: dst.storeBytes(of: Int8(saturating(v, -128, 127)), toByteOffset: i, as: Int8.self)
            case .int32: dst.storeBytes(of: Int32(saturating(v, -2147483648, 2147483647)), toByteOffset: i * 4, as: Int32.self)
            case .int64: dst.storeBytes(of: Int64(saturating: v), toByteOffset: i * 8, as: Int64.self)
            case .bool: dst.storeBytes(of: UInt8(v != 0 ? 1 : 0), toByteOffset: i, as: UInt8.self)
            }
        }
    }

    private static func saturating(_ v: Double, _ lo: Double, _ hi: Double) -> Double {
        v.isNaN ? 0 : Swift.min(Swift.max(v.rounded(.towardZero), lo), hi)
    }
}

enum CastOp {
    static func prepare(_ ctx: OpContext) throws -> PreparedOp {
        let x = try ctx.input(0)
        guard let code = ctx.node.int("to") else { throw ctx.error("missing attribute 'to'") }
        let to = try DType.fromONNX(Int32(truncatingIfNeeded: code))
        let y = TensorType(to, x.shape)
        return .kernel(CastKernel(from: x.dtype, to: to, count: x.count), [y])
    }
}

extension Int64 {
    /// Truncates toward zero; NaN becomes 0 and values at or beyond ±2^63 clamp to Int64's range
    /// (Double cannot represent Int64.max, so a plain clamp-then-convert would trap).
    init(saturating v: Double) {
        if v.isNaN { self = 0 } else if v >= 9_223_372_036_854_775_807.0 { self = .max } else if v <= -9_223_372_036_854_775_808.0 {
            self = .min
        } else { self = Int64(v.rounded(.towardZero)) }
    }
}
