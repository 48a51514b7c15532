/// Pad with constant, reflect, edge or wrap mode; negative pads crop. Each output axis gets a
/// table mapping output coordinate -> source coordinate (-1 = constant fill), computed at
/// prepare; reflect/edge/wrap are evaluated relative to the original input extent, then the
/// negative pads crop (as numpy.pad followed by slicing, the ONNX reference behaviour).
final class PadKernel: Kernel {
    let outDims: [Int]
    let srcStrides: [Int]     // bytes per source step along each axis
    let maps: [Int]           // concatenated per-axis maps
    let mapStart: [Int]       // start of each axis' map in `maps`
    let blockCount: [Int]     // elements in one output block below axis d (product of outDims[d+1...])
    let runStart: Int         // innermost axis: output range that copies a contiguous source run
    let runEnd: Int
    let runSource: Int        // source index of the run's first element
    let elemSize: Int
    let fillBits: UInt64

    init(outDims: [Int], srcStrides: [Int], maps: [[Int]], elemSize: Int, fillBits: UInt64) {
        self.outDims = outDims
        self.srcStrides = srcStrides.map { $0 * elemSize }
        var flat: [Int] = [], starts: [Int] = []
        for m in maps {
            starts.append(flat.count)
            flat += m
        }
        self.maps = flat
        self.mapStart = starts
        var blocks = [Int](repeating: 1, count: outDims.count)
        var acc = 1
        for d in stride(from: outDims.count - 1, through: 0, by: -1) {
            blocks[d] = acc
            acc *= outDims[d]
        }
        self.blockCount = blocks
        self.elemSize = elemSize
        self.fillBits = fillBits
        // Longest stretch of the innermost map where source indices run consecutively.
        var best = (0, 0, 0)
        if let last = maps.last {
            var i = 0
            while i < last.count {
                if last[i] < 0 { i += 1; continue }
                var j = i + 1
                while j < last.count && last[j] == last[j - 1] + 1 { j += 1 }
                if j - i > best.1 - best.0 { best = (i, j, last[i]) }
                i = j
            }
        }
        (runStart, runEnd, runSource) = best
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        if outDims.isEmpty {
            outputs[0].copyMemory(from: inputs[0], byteCount: elemSize)
            return
        }
        _ = fillAxis(0, inputs[0], outputs[0])
    }

    private func fillAxis(_ d: Int, _ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        let n = outDims[d], m = mapStart[d], es = elemSize
        var out = dst
        if d == outDims.count - 1 {
            let st = srcStrides[d]
            var o = 0
            while o < n {
                if o == runStart && runEnd > runStart {
                    let len = runEnd - runStart
                    out.copyMemory(from: src + runSource &* st, byteCount: len &* es)
                    out += len &* es
                    o = runEnd
                    continue
                }
                let s = maps[m &+ o]
                if s < 0 {
                    LayoutSupport.fill(out, 1, bits: fillBits, elemSize: es)
                } else {
                    LayoutSupport.copyElement(out, src + s &* st, elemSize: es)
                }
                out += es
                o += 1
            }
            return out
        }
        let st = srcStrides[d], block = blockCount[d]
        for o in 0..<n {
            let s = maps[m &+ o]
            if s < 0 {
                LayoutSupport.fill(out, block, bits: fillBits, elemSize: es)
                out += block &* es
            } else {
                out = fillAxis(d + 1, src + s &* st, out)
            }
        }
        return out
    }
}

enum PadOp {
    enum Mode: String { case constant, reflect, edge, wrap }

    static func prepare(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.input(ctx, 0)
        let modeName = ctx.string("mode", "constant")
        guard let mode = Mode(rawValue: modeName) else {
            throw ctx.error("unknown Pad mode '\(modeName)'", .unsupported)
        }
        var pads: [Int]
        var bits: UInt64 = 0
        if ctx.opset < 11 {
            guard let p = ctx.ints("pads") ?? ctx.ints("paddings") else {
                throw ctx.error("missing attribute 'pads'")
            }
            pads = p
            bits = LayoutSupport.fillBits(float: ctx.float("value", 0), dtype: x.dtype)
        } else {
            pads = try LayoutSupport.constInts(ctx, 1, "Pad pads")
            if ctx.hasInput(2) {
                let v = try ctx.requireConstant(2, "Pad constant_value")
                guard v.dtype == x.dtype else {
                    throw ctx.error("constant_value is \(v.dtype) but data is \(x.dtype)")
                }
                if v.count >= 1 { bits = LayoutSupport.fillBits(v) }
            }
            if ctx.opset >= 18 && ctx.hasInput(3) {
                let list = try LayoutSupport.constInts(ctx, 3, "Pad axes")
                let axes = try LayoutSupport.normalizeAxes(ctx, list, rank: x.rank)
                guard pads.count == 2 * axes.count else {
                    throw ctx.error("pads \(pads) must have 2 entries per axis in \(list)")
                }
                var full = [Int](repeating: 0, count: 2 * x.rank)
                for (i, a) in axes.enumerated() {
                    full[a] = pads[i]
                    full[a + x.rank] = pads[i + axes.count]
                }
                pads = full
            }
        }
        guard pads.count == 2 * x.rank else {
            throw ctx.error("pads \(pads) must have \(2 * x.rank) entries for rank \(x.rank)")
        }
        let big = 1 << 40   // keeps coordinate arithmetic overflow-free
        guard pads.allSatisfy({ $0 >= -big && $0 <= big }) else {
            throw ctx.error("pads \(pads) are out of range", .limit)
        }
        var outDims: [Int] = []
        for a in 0..<x.rank {
            let dim = x.shape[a], before = pads[a], after = pads[a + x.rank]
            let (n, o) = dim.addingReportingOverflow(before)
            let (out, o2) = n.addingReportingOverflow(after)
            guard !o && !o2, out >= 0 else {
                throw ctx.error("pads \(before),\(after) on axis \(a) of size \(dim) give a negative size", .shape)
            }
            if mode != .constant && dim == 0 && out > 0 {
                throw ctx.error("cannot \(mode.rawValue)-pad axis \(a) of size 0", .shape)
            }
            outDims.append(out)
        }
        let y = try ctx.checked(TensorType(x.dtype, outDims))
        if y.count == 0 {
            // Nothing to write (and no per-axis tables to build for an empty result).
            let none = StridedCopyPlan(outDims: outDims, srcStrides: outDims.map { _ in 0 }, baseOffset: 0, elemSize: x.dtype.byteSize)
            return .kernel(StridedCopyKernel(none), [y])
        }
        let maps = (0..<x.rank).map { a in
            (0..<outDims[a]).map { source($0 - pads[a], dim: x.shape[a], mode: mode) }
        }
        let k = PadKernel(outDims: outDims, srcStrides: Shape.strides(x.shape), maps: maps,
                          elemSize: x.dtype.byteSize, fillBits: bits)
        return .kernel(k, [y])
    }

    /// Source index for a (possibly out-of-range) input coordinate `i`, or -1 for the fill value.
    static func source(_ i: Int, dim: Int, mode: Mode) -> Int {
        if i >= 0 && i < dim { return i }
        switch mode {
        case .constant:
            return -1
        case .edge:
            return i < 0 ? 0 : dim - 1
        case .wrap:
            return ((i % dim) + dim) % dim
        case .reflect:
            if dim == 1 { return 0 }
            let period = 2 * (dim - 1)
            var m = ((i % period) + period) % period
            if m >= dim { m = period - m }
            return m
        }
    }
}
