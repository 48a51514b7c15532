import CEdgeKernels

/// The weight formats of the C library's "sparse weights x dense pixels" kernels (convolution in
/// its GEMM form), as Swift values: listing and packing.
public enum PixelFormats {
    /// The preferred (fastest ISA) kernel of each format, in listing order.
    nonisolated(unsafe) public static let preferred = LinearFormats.preferredKernels(ep_f32_spmm_pixels_list_kernels) {
        UnsafeRawPointer($0.pointee.format)
    }

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
