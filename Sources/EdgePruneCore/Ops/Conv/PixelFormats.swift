import CEdgeKernels

/// The weight formats of the C library's "sparse weights x dense pixels" kernels (convolution in
/// its GEMM form), as Swift values: listing and packing.
public enum PixelFormats {
    /// The preferred (fastest ISA) kernel of each format, in listing order.
    nonisolated(unsafe) public static let preferred: [UnsafePointer<ep_f32_spmm_pixels_kernel>] = {
        let count = ep_f32_spmm_pixels_list_kernels(nil, 0)
        var list = [UnsafePointer<ep_f32_spmm_pixels_kernel>?](repeating: nil, count: count)
        _ = list.withUnsafeMutableBufferPointer { ep_f32_spmm_pixels_list_kernels($0.baseAddress, count) }
        var out: [UnsafePointer<ep_f32_spmm_pixels_kernel>] = []
        for case let k? in list {
            if let last = out.last, last.pointee.format == k.pointee.format { out[out.count - 1] = k } else { out.append(k) }
        }
        return out
    }()

    public static var formatNames: [String] { preferred.map { String(cString: $0.pointee.format.pointee.name) } }

    public static func kernel(format name: String) -> UnsafePointer<ep_f32_spmm_pixels_kernel>? {
        preferred.first { String(cString: $0.pointee.format.pointee.name) == name }
    }

    /// Packs W (rows x cols, element (n, k) at w[n*rs + k*cs]), or nil when it does not fit.
    public static func pack(_ kernel: UnsafePointer<ep_f32_spmm_pixels_kernel>, rows: Int, cols: Int,
                            w: UnsafePointer<Float>, rs: Int, cs: Int) -> Buffer? {
        let f = kernel.pointee.format.pointee
        let size = f.packed_size(rows, cols, w, rs, cs)
        guard size > 0 else { return nil }
        let buf = Buffer(byteCount: size)
        guard f.pack(rows, cols, w, rs, cs, buf.raw) == 0 else { return nil }
        return buf
    }
}
