import EdgePruneAdaptive

/// The demo's SVG trace: level, p95 against the budget, energy, accuracy (per-level accuracy on
/// the replayed data, and the labelled estimate) against the floor; the load shaded.
enum DemoPlot {
    static func svg(_ r: DemoResult, model: String) -> String {
        let x = { (st: SimulationStep) in Double(st.inference) }
        var panels: [SVGPanels.Panel] = [
            .init(title: "ladder level (higher = sparser)", unit: "level",
                  series: [.init(name: "level", color: "#1f77b4", step: true, points: r.steps.map { (x($0), Double($0.level)) })],
                  yRange: (0, Double(max(r.levels.count - 1, 1)))),
            .init(title: "p95 latency at the active level (measured)", unit: "ms",
                  series: [.init(name: "p95", color: "#d62728", points: r.steps.compactMap { st in st.p95Ms.map { (x(st), $0) } }),
                           .init(name: "budget", color: "#555555", dashed: true, step: true,
                                 points: r.steps.compactMap { st in st.latencyBudgetMs.map { (x(st), $0) } })]),
        ]
        if r.steps.contains(where: { $0.energyMj != nil }) {
            var energy = SVGPanels.Panel(title: "energy per inference", unit: "mJ",
                                         series: [.init(name: "energy", color: "#9467bd", points: r.steps.compactMap { st in st.energyMj.map { (x(st), $0) } })])
            if let b = r.energyBudgetMj { energy.references.append((b, "budget", "#555555")) }
            panels.append(energy)
        }
        var accuracy = SVGPanels.Panel(title: "accuracy at the active level", unit: "%",
                                       series: [.init(name: "level on the data", color: "#2ca02c", step: true, points: r.steps.map { (x($0), 100 * $0.trueAccuracy) }),
                                                .init(name: "labelled estimate", color: "#ff7f0e", points: r.steps.compactMap { st in st.accuracy.map { (x(st), 100 * $0) } })])
        if let floor = r.accuracyFloor { accuracy.references.append((100 * floor, "floor", "#555555")) }
        panels.append(accuracy)
        let loads = r.figures.loadResponses.map { (Double($0.start), Double($0.end), "\(r.script.busyThreads) busy threads") }
        let chart = SVGPanels(title: "demo: \(model) (\(r.decisions.count) switches, real timing)", xLabel: "inference",
                              xRange: (0, Double(r.script.total)), bands: loads, panels: panels)
        return chart.render()
    }
}
