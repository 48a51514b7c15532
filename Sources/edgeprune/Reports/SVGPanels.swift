import Foundation

/// A small dependency-free SVG chart: panels stacked vertically over one shared x axis, each with
/// line series, horizontal reference lines (budgets, floors) and shaded x bands (load phases).
struct SVGPanels {
    struct Series {
        var name: String
        var color: String
        var dashed = false
        /// Step line (holds the value until the next point), for levels.
        var step = false
        var points: [(Double, Double)]
    }

    struct Panel {
        var title: String
        var unit: String
        var series: [Series]
        var references: [(value: Double, label: String, color: String)] = []
        var yRange: (Double, Double)? = nil
    }

    var title: String
    var xLabel: String
    var xRange: (Double, Double)
    var bands: [(from: Double, to: Double, label: String)] = []
    var panels: [Panel]

    static let width = 900.0, panelHeight = 170.0, left = 64.0, right = 150.0, top = 34.0, gap = 26.0

    func render() -> String {
        let height = Self.top + Double(panels.count) * (Self.panelHeight + Self.gap) + 30
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(Self.width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(f(Self.left))\" y=\"18\" font-size=\"13\">\(escape(title))</text>\n"
        for (i, p) in panels.enumerated() {
            out += panel(p, y0: Self.top + Double(i) * (Self.panelHeight + Self.gap), last: i == panels.count - 1)
        }
        return out + "</svg>\n"
    }

    private func panel(_ p: Panel, y0: Double, last: Bool) -> String {
        let values = p.series.flatMap { $0.points.map(\.1) } + p.references.map(\.value)
        var (lo, hi) = p.yRange ?? ((values.min() ?? 0), (values.max() ?? 1))
        if p.yRange == nil { lo = min(lo, 0); hi = hi + (hi - lo) * 0.08 }
        if hi <= lo { hi = lo + 1 }
        let plotLeft = Self.left, plotRight = Self.width - Self.right, plotTop = y0 + 16, plotBottom = y0 + Self.panelHeight
        let (x0, x1) = xRange
        func px(_ x: Double) -> Double { plotLeft + (x - x0) / max(x1 - x0, 1e-12) * (plotRight - plotLeft) }
        func py(_ v: Double) -> Double { plotTop + (1 - (min(max(v, lo), hi) - lo) / (hi - lo)) * (plotBottom - plotTop) }
        var out = "<g>\n<text x=\"\(f(plotLeft))\" y=\"\(f(y0 + 10))\" font-weight=\"bold\">\(escape(p.title))</text>\n"
        for b in bands {
            out += "<rect x=\"\(f(px(b.from)))\" y=\"\(f(plotTop))\" width=\"\(f(px(b.to) - px(b.from)))\" height=\"\(f(plotBottom - plotTop))\" fill=\"#f3e3c3\" opacity=\"0.7\"/>\n"
        }
        for t in ticks(lo, hi) {
            out += "<line x1=\"\(f(plotLeft))\" y1=\"\(f(py(t)))\" x2=\"\(f(plotRight))\" y2=\"\(f(py(t)))\" stroke=\"#e4e4e4\"/>\n"
            out += "<text x=\"\(f(plotLeft - 6))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(label(t))</text>\n"
        }
        out += "<text x=\"14\" y=\"\(f((plotTop + plotBottom) / 2))\" transform=\"rotate(-90 14 \(f((plotTop + plotBottom) / 2)))\" text-anchor=\"middle\">\(escape(p.unit))</text>\n"
        out += "<line x1=\"\(f(plotLeft))\" y1=\"\(f(plotBottom))\" x2=\"\(f(plotRight))\" y2=\"\(f(plotBottom))\" stroke=\"black\"/>\n"
        out += "<line x1=\"\(f(plotLeft))\" y1=\"\(f(plotTop))\" x2=\"\(f(plotLeft))\" y2=\"\(f(plotBottom))\" stroke=\"black\"/>\n"
        for r in p.references {
            out += "<line x1=\"\(f(plotLeft))\" y1=\"\(f(py(r.value)))\" x2=\"\(f(plotRight))\" y2=\"\(f(py(r.value)))\" stroke=\"\(r.color)\" stroke-dasharray=\"6 4\"/>\n"
            out += "<text x=\"\(f(plotRight + 4))\" y=\"\(f(py(r.value) + 4))\" fill=\"\(r.color)\">\(escape(r.label))</text>\n"
        }
        var legendY = plotTop + 12
        for s in p.series where !s.points.isEmpty {
            var d = ""
            for (i, pt) in s.points.enumerated() {
                if i == 0 { d += "M\(f(px(pt.0))),\(f(py(pt.1)))"; continue }
                if s.step { d += " H\(f(px(pt.0))) V\(f(py(pt.1)))" } else { d += " L\(f(px(pt.0))),\(f(py(pt.1)))" }
            }
            out += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.5\"\(s.dashed ? " stroke-dasharray=\"4 3\"" : "")/>\n"
            out += "<text x=\"\(f(plotRight + 4))\" y=\"\(f(legendY))\" fill=\"\(s.color)\">\(escape(s.name))</text>\n"
            legendY += 14
        }
        if last {
            for t in ticks(x0, x1) {
                out += "<text x=\"\(f(px(t)))\" y=\"\(f(plotBottom + 14))\" text-anchor=\"middle\">\(label(t))</text>\n"
            }
            out += "<text x=\"\(f((plotLeft + plotRight) / 2))\" y=\"\(f(plotBottom + 28))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        }
        return out + "</g>\n"
    }

    private func ticks(_ lo: Double, _ hi: Double) -> [Double] {
        let raw = (hi - lo) / 5
        guard raw > 0, raw.isFinite else { return [lo] }
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        var t = (lo / step).rounded(.up) * step, out: [Double] = []
        while t <= hi + 1e-9 * step, out.count < 20 { out.append(t); t += step }
        return out
    }

    private func label(_ v: Double) -> String {
        if abs(v) >= 1000 || v == v.rounded() { return String(Int(v.rounded())) }
        return String(format: "%g", (v * 1000).rounded() / 1000)
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }
    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
