import Foundation

/// A dependency-free SVG of a profile: three small panels side by side, each a line over the
/// ladder levels against sparsity: accuracy (%), batch-1 latency (p50 line, p95 dashed, µs) and
/// size on disk (KiB).
enum ProfilePlot {
    struct Point {
        let level: Int
        let sparsity: Double
        let accuracy: Double?
        let p50Micros: Double?
        let p95Micros: Double?
        let sizeBytes: Int
    }

    struct Series {
        let name: String
        let color: String
        let dashed: Bool
        let values: [(Double, Double)]
    }

    static let panelWidth = 300.0, panelHeight = 260.0
    static let left = 58.0, right = 14.0, top = 52.0, bottom = 46.0

    static func svg(_ points: [Point], title: String) -> String {
        let width = panelWidth * 3, height = panelHeight + 30
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(f(left))\" y=\"16\" font-size=\"13\">\(escape(title))</text>\n"
        let accuracy = points.compactMap { p in p.accuracy.map { (p.sparsity, 100 * $0) } }
        let p50 = points.compactMap { p in p.p50Micros.map { (p.sparsity, $0) } }
        let p95 = points.compactMap { p in p.p95Micros.map { (p.sparsity, $0) } }
        let size = points.map { ($0.sparsity, Double($0.sizeBytes) / 1024) }
        let accLow = accuracy.map(\.1).min() ?? 0
        out += panel(x0: 0, title: "accuracy", unit: "%",
                     series: [Series(name: "accuracy", color: "#1f77b4", dashed: false, values: accuracy)],
                     yRange: (max(0, ((accLow - 2) / 10).rounded(.down) * 10), 100))
        let latMax = (p95.map(\.1) + p50.map(\.1)).max() ?? 1
        out += panel(x0: panelWidth, title: "latency, batch 1", unit: "µs",
                     series: [Series(name: "p50", color: "#d62728", dashed: false, values: p50),
                              Series(name: "p95", color: "#d62728", dashed: true, values: p95)],
                     yRange: (0, latMax * 1.1))
        out += panel(x0: 2 * panelWidth, title: "size on disk (.epm)", unit: "KiB",
                     series: [Series(name: "size", color: "#2ca02c", dashed: false, values: size)],
                     yRange: (0, (size.map(\.1).max() ?? 1) * 1.1))
        return out + "</svg>\n"
    }

    private static func panel(x0: Double, title: String, unit: String, series: [Series], yRange: (Double, Double)) -> String {
        let (lo, hi0) = yRange
        let hi = hi0 > lo ? hi0 : lo + 1
        let plotRight = x0 + panelWidth - right, plotBottom = panelHeight - bottom + 30
        let plotLeft = x0 + left, plotTop = top
        func px(_ s: Double) -> Double { plotLeft + min(max(s, 0), 1) * (plotRight - plotLeft) }
        func py(_ v: Double) -> Double { plotTop + (1 - (v - lo) / (hi - lo)) * (plotBottom - plotTop) }
        var out = "<g>\n"
        out += "<text x=\"\(f((plotLeft + plotRight) / 2))\" y=\"\(f(plotTop - 10))\" text-anchor=\"middle\" font-weight=\"bold\">\(escape(title))</text>\n"
        for tick in ticks(lo, hi) {
            out += "<line x1=\"\(f(plotLeft))\" y1=\"\(f(py(tick)))\" x2=\"\(f(plotRight))\" y2=\"\(f(py(tick)))\" stroke=\"#e4e4e4\"/>\n"
            out += "<text x=\"\(f(plotLeft - 6))\" y=\"\(f(py(tick) + 4))\" text-anchor=\"end\">\(label(tick))</text>\n"
        }
        for i in 0...5 {
            let s = Double(i) / 5
            out += "<text x=\"\(f(px(s)))\" y=\"\(f(plotBottom + 15))\" text-anchor=\"middle\">\(f(s))</text>\n"
        }
        out += "<line x1=\"\(f(plotLeft))\" y1=\"\(f(plotBottom))\" x2=\"\(f(plotRight))\" y2=\"\(f(plotBottom))\" stroke=\"black\"/>\n"
        out += "<line x1=\"\(f(plotLeft))\" y1=\"\(f(plotBottom))\" x2=\"\(f(plotLeft))\" y2=\"\(f(plotTop))\" stroke=\"black\"/>\n"
        out += "<text x=\"\(f((plotLeft + plotRight) / 2))\" y=\"\(f(plotBottom + 32))\" text-anchor=\"middle\">sparsity</text>\n"
        let cy = (plotTop + plotBottom) / 2
        out += "<text x=\"\(f(x0 + 12))\" y=\"\(f(cy))\" text-anchor=\"middle\" transform=\"rotate(-90 \(f(x0 + 12)) \(f(cy)))\">\(escape(unit))</text>\n"
        for (i, s) in series.enumerated() where !s.values.isEmpty {
            let pts = s.values.sorted { $0.0 < $1.0 }
            let dash = s.dashed ? " stroke-dasharray=\"5 3\"" : ""
            out += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\"\(dash) points=\"\(pts.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " "))\"/>\n"
            for p in pts { out += "<circle cx=\"\(f(px(p.0)))\" cy=\"\(f(py(p.1)))\" r=\"2.5\" fill=\"\(s.color)\"/>\n" }
            if series.count > 1 {
                let ly = plotTop + 6 + 14 * Double(i)
                out += "<line x1=\"\(f(plotRight - 52))\" y1=\"\(f(ly))\" x2=\"\(f(plotRight - 34))\" y2=\"\(f(ly))\" stroke=\"\(s.color)\" stroke-width=\"2\"\(dash)/>\n"
                out += "<text x=\"\(f(plotRight - 30))\" y=\"\(f(ly + 4))\">\(escape(s.name))</text>\n"
            }
        }
        return out + "</g>\n"
    }

    /// About five round tick values covering [lo, hi] (steps of 1, 2 or 5 × 10^k).
    static func ticks(_ lo: Double, _ hi: Double) -> [Double] {
        let raw = (hi - lo) / 5
        guard raw > 0, raw.isFinite else { return [lo] }
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var v = (lo / step).rounded(.up) * step
        var out: [Double] = []
        while v <= hi + step * 1e-9 { out.append(v); v += step }
        return out
    }

    private static func label(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e7 { return String(Int(v)) }
        return String(format: abs(v) >= 10 ? "%.0f" : "%.1f", v)
    }

    private static func f(_ v: Double) -> String { String(Double((v * 10).rounded()) / 10) }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
