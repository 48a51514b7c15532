/// A copy from a strided view of the input into a dense output, compiled at prepare time.
/// Covers Transpose (permuted strides), Slice (scaled strides, base offset), Expand and Tile
/// (zero strides). Size-1 dims are dropped and dims that are contiguous in both source and
/// destination are merged, so the common cases become a few long memcpy runs.
struct StridedCopyPlan {
    let dims: [Int]
    let srcStrides: [Int]   // in bytes, may be 0 or negative
    let baseOffset: Int     // in bytes
    let elemSize: Int
    let count: Int

    init(outDims: [Int], srcStrides strides: [Int], baseOffset: Int, elemSize: Int) {
        precondition(outDims.count == strides.count)
        self.elemSize = elemSize
        if outDims.contains(0) {
            // Empty output: nothing to copy (and the other dims may be arbitrarily large).
            count = 0
            self.baseOffset = 0
            dims = []
            srcStrides = []
            return
        }
        self.baseOffset = baseOffset * elemSize
        count = outDims.reduce(1, *)
        var d: [Int] = [], s: [Int] = []
        // Walk from the innermost dim out, merging a dim into the group inside it when the
        // source is contiguous across the boundary.
        for i in stride(from: outDims.count - 1, through: 0, by: -1) where outDims[i] != 1 {
            if let n = d.first, let st = s.first, strides[i] == st * n {
                d[0] = n * outDims[i]
            } else {
                d.insert(outDims[i], at: 0)
                s.insert(strides[i], at: 0)
            }
        }
        dims = d
        srcStrides = s.map { $0 * elemSize }
    }

    /// True when the whole copy is a single contiguous run.
    var isContiguous: Bool { dims.isEmpty || (dims.count == 1 && srcStrides[0] == elemSize) }

    func copy(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer) {
        if count == 0 { return }
        let s = src + baseOffset
        if dims.isEmpty {
            dst.copyMemory(from: s, byteCount: elemSize)
            return
        }
        _ = copyDim(0, s, dst)
    }

    private func copyDim(_ d: Int, _ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        let n = dims[d], st = srcStrides[d], es = elemSize
        if d == dims.count - 2 && srcStrides[d + 1] != es && st == es && es != 1 {
            return transposeTile(src, dst, rows: n, cols: dims[d + 1], colStride: srcStrides[d + 1])
        }
        if d == dims.count - 1 {
            if st == es {
                dst.copyMemory(from: src, byteCount: n &* es)
            } else {
                switch es {
                case 1:
                    for i in 0..<n { dst.storeBytes(of: src.load(fromByteOffset: i &* st, as: UInt8.self), toByteOffset: i, as: UInt8.self) }
                case 4:
                    for i in 0..<n { dst.storeBytes(of: src.loadUnaligned(fromByteOffset: i &* st, as: UInt32.self), toByteOffset: i &* 4, as: UInt32.self) }
                default:
                    for i in 0..<n { dst.storeBytes(of: src.loadUnaligned(fromByteOffset: i &* st, as: UInt64.self), toByteOffset: i &* 8, as: UInt64.self) }
                }
            }
            return dst + n &* es
        }
        var out = dst, s = src
        for _ in 0..<n {
            out = copyDim(d + 1, s, out)
            s += st
        }
        return out
    }
}

extension StridedCopyPlan {
    /// dst[r][c] = src[r * es + c * colStride] for a rows x cols block: a 2-D transpose, done in
    /// 16 x 16 tiles so both the strided reads and the writes stay in cache.
    fileprivate func transposeTile(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer,
                                   rows: Int, cols: Int, colStride: Int) -> UnsafeMutableRawPointer {
        switch elemSize {
        case 4: Self.tiled(UInt32.self, src, dst, rows: rows, cols: cols, colStride: colStride)
        default: Self.tiled(UInt64.self, src, dst, rows: rows, cols: cols, colStride: colStride)
        }
        return dst + rows &* cols &* elemSize
    }

    @inline(__always)
    private static func tiled<T>(_: T.Type, _ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer,
                                 rows: Int, cols: Int, colStride: Int) {
        let tile = 16, es = MemoryLayout<T>.size
        var r0 = 0
        while r0 < rows {
            let r1 = min(r0 &+ tile, rows)
            var c0 = 0
            while c0 < cols {
                let c1 = min(c0 &+ tile, cols)
                for c in c0..<c1 {
                    let s = src + c &* colStride
                    for r in r0..<r1 {
                        dst.storeBytes(of: s.loadUnaligned(fromByteOffset: r &* es, as: T.self),
                                       toByteOffset: (r &* cols &+ c) &* es, as: T.self)
                    }
                }
                c0 = c1
            }
            r0 = r1
        }
    }
}

/// Output 0 = a strided view of input 0.
final class StridedCopyKernel: Kernel {
    let plan: StridedCopyPlan

    init(_ plan: StridedCopyPlan) { self.plan = plan }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        plan.copy(inputs[0], outputs[0])
    }
}
