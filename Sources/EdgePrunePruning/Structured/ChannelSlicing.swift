import EdgePruneCore

/// Element-range operations on initializers along one axis: zeroing, testing and cutting out the
/// index ranges of channels. Every tensor is row-major, so a range of axis `a` is, for each of the
/// `outer` leading positions, one contiguous run of `range.count * inner` elements.
enum ChannelSlicing {
    /// Calls `body(start, count)` for every contiguous element run of `range` along `axis`.
    static func forEachRun(_ shape: [Int], axis: Int, range: Range<Int>, _ body: (Int, Int) -> Void) {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let dim = shape[axis]
        for o in 0..<outer { body((o * dim + range.lowerBound) * inner, range.count * inner) }
    }

    /// Whether `slice` fits `tensor` for a group of `channels` channels.
    static func fits(_ slice: ParamSlice, _ t: Tensor, channels: Int) -> Bool {
        t.dtype == .float32 && slice.axis >= 0 && slice.axis < t.rank && slice.offset >= 0 && slice.span >= 1
            && slice.offset + channels * slice.span <= t.shape[slice.axis]
    }

    static func zero(_ t: Tensor, axis: Int, range: Range<Int>) {
        let p = t.pointer(as: Float.self)
        forEachRun(t.shape, axis: axis, range: range) { start, count in (p + start).update(repeating: 0, count: count) }
    }

    static func isZero(_ t: Tensor, axis: Int, range: Range<Int>) -> Bool {
        let p = t.pointer(as: Float.self)
        var zero = true
        forEachRun(t.shape, axis: axis, range: range) { start, count in
            if zero { for i in start..<(start + count) where p[i] != 0 { zero = false; break } }
        }
        return zero
    }

    /// A new tensor holding, along each axis in `keep`, only the listed indices (in order).
    static func gather(_ t: Tensor, keep: [Int: [Int]]) -> Tensor {
        let shape = t.shape
        let lists = shape.indices.map { keep[$0] ?? Array(0..<shape[$0]) }
        let out = Tensor(zeros: TensorType(t.dtype, lists.map(\.count)))
        let strides = Shape.strides(shape)
        let size = t.dtype.byteSize
        // Axes after the last cut one are copied as whole blocks.
        let last = keep.keys.max() ?? -1
        let block = shape[(last + 1)...].reduce(1, *) * size
        let src = t.raw
        var dst = out.raw
        func copy(_ axis: Int, _ offset: Int) {
            if axis > last {
                dst.copyMemory(from: src + offset * size, byteCount: block)
                dst += block
                return
            }
            for i in lists[axis] { copy(axis + 1, offset + i * strides[axis]) }
        }
        if out.count > 0 { copy(0, 0) }
        return out
    }
}
