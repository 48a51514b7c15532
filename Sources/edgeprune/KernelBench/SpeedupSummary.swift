/// Median speedups of `bench-kernels` records, grouped the way the targets are stated.
enum SpeedupSummary {
    struct Row {
        let dtype: String, format: String, sparsity: Double, median: Double, count: Int
    }

    /// Per (dtype, format, requested sparsity), the median speedup over the Linear shapes at batch 1.
    static func linearBatch1(_ records: [KernelRecord]) -> [Row] {
        var groups: [String: [KernelRecord]] = [:]
        var order: [String] = []
        for r in records where r.op == "linear" && r.batch == 1 {
            let key = "\(r.dtype)|\(r.format)|\(r.sparsity)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
        }
        return order.map { key in
            let g = groups[key]!
            let s = g.map(\.speedup).sorted()
            let median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
            return Row(dtype: g[0].dtype, format: g[0].format, sparsity: g[0].sparsity, median: median, count: g.count)
        }
    }
}
