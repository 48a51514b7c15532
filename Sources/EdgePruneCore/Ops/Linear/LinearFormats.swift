import CEdgeKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The f32 Linear weight formats of the C kernel library (dense and every sparse format), as
/// Swift values: listing, packing, validating and timing them.
public enum LinearFormats {
    /// The preferred (fastest ISA) kernel of each format, in listing order. (Pointers into the C
    /// library's constant tables: immutable, so safe to share.)
    nonisolated(unsafe) public static let preferred = preferredKernels(ep_f32_linear_list_kernels) {
        UnsafeRawPointer($0.pointee.format)
    }

    /// The last (preferred) kernel of each format from one of the C library's list functions
    /// (`size_t list(const K** out, size_t capacity)`, grouped by format, preferred last).
    public static func preferredKernels<K>(_ list: (UnsafeMutablePointer<UnsafePointer<K>?>?, Int) -> Int,
                                           format: (UnsafePointer<K>) -> UnsafeRawPointer?) -> [UnsafePointer<K>] {
        let count = list(nil, 0)
        var all = [UnsafePointer<K>?](repeating: nil, count: count)
        _ = all.withUnsafeMutableBufferPointer { list($0.baseAddress, count) }
        var out: [UnsafePointer<K>] = []
        for case let k? in all {
            if let last = out.last, format(last) == format(k) { out[out.count - 1] = k } else { out.append(k) }
        }
        return out
    }

    public static var formatNames: [String] { preferred.map { String(cString: $0.pointee.format.pointee.name) } }

    /// The preferred kernel of the format called `name`.
    public static func kernel(format name: String) -> UnsafePointer<ep_f32_linear_kernel>? {
        preferred.first { String(cString: $0.pointee.format.pointee.name) == name }
    }

    /// Packs W (rows x cols, element (n, k) at w[n*rs + k*cs]) into `kernel`'s format, or nil when
    /// W's zero pattern does not fit it.
    public static func pack(_ kernel: UnsafePointer<ep_f32_linear_kernel>, rows: Int, cols: Int,
                            w: UnsafePointer<Float>, rs: Int, cs: Int) -> Buffer? {
        let f = kernel.pointee.format.pointee
        let size = f.packed_size(rows, cols, w, rs, cs)
        guard size > 0 else { return nil }
        let buf = Buffer(uninitializedByteCount: size)  // every packer writes all `size` bytes
        guard f.pack(rows, cols, w, rs, cs, buf.raw) == 0 else { return nil }
        return buf
    }

    /// Checks a packed blob from a file; throws naming the problem.
    public static func validate(_ format: UnsafePointer<ep_f32_linear_format>, _ blob: UnsafeRawPointer, size: Int,
                                rows: Int, cols: Int, what context: String) throws {
        var what: UnsafePointer<CChar>? = nil
        var where_ = 0
        if format.pointee.validate(blob, size, rows, cols, &what, &where_) != 0 {
            let message = what.map { String(cString: $0) } ?? "inconsistent"
            throw EdgePruneError(.invalidModel, "\(context): \(String(cString: format.pointee.name)) weight: \(message) (at entry \(where_))")
        }
    }

    /// Fraction of exact zeros in W.
    public static func zeroFraction(rows: Int, cols: Int, w: UnsafePointer<Float>, rs: Int, cs: Int) -> Double {
        guard rows > 0, cols > 0 else { return 0 }
        if (cs == 1 && rs == cols) || (rs == 1 && cs == rows) {  // one block in memory: count it flat
            return Double(rows * cols - countNonzeros(w, rows * cols)) / Double(rows * cols)
        }
        var zeros = 0
        for n in 0..<rows { for k in 0..<cols where w[n * rs + k * cs] == 0 { zeros += 1 } }
        return Double(zeros) / Double(rows * cols)
    }

    /// Non-zero elements among `count` floats (as `!= 0`: -0 is zero, NaN is not). Integer
    /// arithmetic on the bits, without branches, so it vectorises: a compare-and-branch loop
    /// mispredicts on pruned weights and costs milliseconds per million at every plan.
    /// With m = bits & 0x7fffffff, m + 0x7fffffff has bit 31 set exactly when m != 0.
    public static func countNonzeros(_ p: UnsafePointer<Float>, _ count: Int) -> Int {
        let bits = UnsafeRawPointer(p).assumingMemoryBound(to: UInt32.self)
        var n = 0
        for i in 0..<count { n &+= Int(((bits[i] & 0x7fff_ffff) &+ 0x7fff_ffff) >> 31) }
        return n
    }

    /// Median microseconds of one call of `body`, over `rounds` rounds of enough repetitions to
    /// last about `roundMicros` each (after one warm-up call).
    public static func medianMicros(rounds: Int = 7, roundMicros: Double = 200, _ body: () -> Void) -> Double {
        body()
        let t0 = monotonicNanos()
        body()
        let once = max(Double(monotonicNanos() - t0) / 1000, 0.05)
        let reps = max(1, min(10_000, Int(roundMicros / once)))
        var samples: [Double] = []
        for _ in 0..<rounds {
            let s = monotonicNanos()
            for _ in 0..<reps { body() }
            samples.append(Double(monotonicNanos() - s) / 1000 / Double(reps))
        }
        samples.sort()
        return samples[samples.count / 2]
    }

    static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
