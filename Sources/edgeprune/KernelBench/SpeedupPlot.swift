/// A dependency-free SVG line plot: median batch-1 Linear speedup against sparsity, one line per
/// (dtype, format).
enum SpeedupPlot {
    static func svg(_ records: [KernelRecord]) -> String {
        let rows = SpeedupSummary.linearBatch1(records)
        var series: [(String, [(Double, Double)])] = []
        for r in rows {
            let name = r.dtype + " " + r.format
            if let i = series.firstIndex(where: { $0.0 == name }) { series[i].1.append((r.sparsity, r.median)) }
            else { series.append((name, [(r.sparsity, r.median)])) }
        }
        let width = 720.0, height = 440.0, left = 60.0, right = 170.0, top = 30.0, bottom = 50.0
        let maxY = max(2, (rows.map(\.median).max() ?? 1) * 1.1)
        func px(_ s: Double) -> Double { left + s * (width - left - right) }
        func py(_ v: Double) -> Double { top + (1 - v / maxY) * (height - top - bottom) }
        func f(_ v: Double) -> String { String(Double((v * 10).rounded()) / 10) }
        let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                      "#bcbd22", "#17becf", "#000000", "#aa4488"]
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(f(left))\" y=\"18\">Speedup vs our f32 dense (median over Linear shapes, batch 1)</text>\n"
        // Axes, grid and the 1x line.
        out += "<line x1=\"\(f(left))\" y1=\"\(f(py(0)))\" x2=\"\(f(px(1)))\" y2=\"\(f(py(0)))\" stroke=\"black\"/>\n"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(py(0)))\" x2=\"\(f(left))\" y2=\"\(f(top))\" stroke=\"black\"/>\n"
        for i in 0...10 {
            let s = Double(i) / 10
            out += "<text x=\"\(f(px(s)))\" y=\"\(f(py(0) + 18))\" text-anchor=\"middle\">\(f(s))</text>\n"
        }
        let step = maxY > 10 ? 2.0 : 1.0
        var v = 0.0
        while v <= maxY {
            out += "<line x1=\"\(f(left))\" y1=\"\(f(py(v)))\" x2=\"\(f(px(1)))\" y2=\"\(f(py(v)))\" stroke=\"#ddd\"/>\n"
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(py(v) + 4))\" text-anchor=\"end\">\(f(v))x</text>\n"
            v += step
        }
        out += "<line x1=\"\(f(left))\" y1=\"\(f(py(1)))\" x2=\"\(f(px(1)))\" y2=\"\(f(py(1)))\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n"
        out += "<text x=\"\(f((left + px(1)) / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">sparsity</text>\n"
        for (i, (name, points)) in series.enumerated() {
            let color = colors[i % colors.count]
            let path = points.sorted { $0.0 < $1.0 }.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path)\"/>\n"
            for p in points { out += "<circle cx=\"\(f(px(p.0)))\" cy=\"\(f(py(p.1)))\" r=\"3\" fill=\"\(color)\"/>\n" }
            let ly = top + 16 * Double(i) + 10
            out += "<line x1=\"\(f(px(1) + 15))\" y1=\"\(f(ly))\" x2=\"\(f(px(1) + 35))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            out += "<text x=\"\(f(px(1) + 40))\" y=\"\(f(ly + 4))\">\(name)</text>\n"
        }
        return out + "</svg>\n"
    }
}
