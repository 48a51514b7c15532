import EdgePruneCore
import EdgePrunePruning

/// Text pieces of the eval and profile reports that describe a level's kernels and attribution.
enum LevelText {
    /// A short weight-format name for a kernel as the planner names it:
    /// "ep_f32_linear_csr_minmax_ukernel_1x16__avx2_fma+relu [csr, 92.8% zeros, ...]" → "csr",
    /// "im2col+ep_f32_gemm_minmax_ukernel_6x16__avx2_fma+relu" → "im2col+gemm",
    /// "ep_f32_spmm_pixels_csr_minmax_ukernel_32x1__avx2_fma" → "pixels_csr".
    static func format(_ kernel: String) -> String {
        if let open = kernel.firstIndex(of: "[") {
            let inside = kernel[kernel.index(after: open)...]
            if let token = inside.split(whereSeparator: { $0 == "," || $0 == "]" }).first {
                return token.trimmingCharacters(in: .whitespaces)
            }
        }
        let head = kernel.split(separator: " ").first.map(String.init) ?? kernel
        let parts = head.split(separator: "+").map(String.init)
        let im2col = parts.contains("im2col")
        guard var core = parts.first(where: { $0.hasPrefix("ep_") }) else { return head }
        var dtype = ""
        for prefix in ["ep_f32_", "ep_qs8_"] where core.hasPrefix(prefix) {
            if prefix == "ep_qs8_" { dtype = "qs8 " }
            core.removeFirst(prefix.count)
        }
        for stop in ["_minmax", "_ukernel", "__"] {
            if let r = core.range(of: stop) { core = String(core[..<r.lowerBound]) }
        }
        if core.hasPrefix("linear_") { core.removeFirst("linear_".count) }
        if core.hasPrefix("spmm_") { core.removeFirst("spmm_".count) }
        return dtype + (im2col ? "im2col+" : "") + core
    }

    /// "2 im2col+gemm, 1 dense, 1 gemm": layer counts per format, in order of first use.
    static func kernelSummary(_ kernels: [LayerKernel]) -> String {
        var order: [String] = []
        var counts: [String: Int] = [:]
        for k in kernels {
            let f = format(k.kernel)
            if counts[f] == nil { order.append(f) }
            counts[f, default: 0] += 1
        }
        return order.isEmpty ? "-" : order.map { "\(counts[$0]!) \($0)" }.joined(separator: ", ")
    }

    /// "feature 27 (0,3,3)" or "channel 5": names a unit by its index and, for features of a
    /// multi-dimensional sample, its position.
    static func unitName(_ result: AttributionResult, _ index: Int) -> String {
        guard result.unit == "feature", result.unitShape.count > 1 else { return "\(result.unit) \(index)" }
        var rest = index
        var coords: [Int] = []
        for d in result.unitShape.reversed() {
            coords.append(d > 0 ? rest % d : 0)
            rest = d > 0 ? rest / d : 0
        }
        return "feature \(index) (" + coords.reversed().map(String.init).joined(separator: ",") + ")"
    }

    /// Lines listing the units that lost most importance, indented.
    /// `referenceImportance`: level 0's importances; all zero means occlusion saw no effect at
    /// all (e.g. a single sample, which equals its own mean), said as such.
    static func dropLines(_ drops: [AttributionDrop], attribution: AttributionResult, referenceImportance: [Double],
                          indent: String = "  ") -> [String] {
        if referenceImportance.allSatisfy({ $0 == 0 }) {
            return [indent + "every input \(attribution.unit) has importance 0 at level 0: occluding with the mean over \(attribution.samples) sample(s) changes nothing (give more, varied samples)"]
        }
        guard !drops.isEmpty else { return [indent + "no input \(attribution.unit) lost importance"] }
        var table = TextTable(["input", "importance L0", "now", "drop"])
        for d in drops {
            table.add([unitName(attribution, d.index), Fmt.fixed(d.before, 4), Fmt.fixed(d.after, 4), Fmt.fixed(d.drop, 4)])
        }
        return table.render(indent: indent).split(separator: "\n").map(String.init)
    }
}
