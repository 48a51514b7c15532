import EdgePruneAdaptive

/// The SVG trace of a simulated (or live) run: active level, p95 latency against its budget, and
/// accuracy (true and estimated) against the floor; load phases shaded.
enum TimelinePlot {
    static func svg(_ r: SimulationResult, scenario s: Scenario) -> String {
        let x = { (st: SimulationStep) in Double(st.inference) }
        var panels: [SVGPanels.Panel] = [
            .init(title: "ladder level (higher = sparser)", unit: "level",
                  series: [.init(name: "level", color: "#1f77b4", step: true, points: r.steps.map { (x($0), Double($0.level)) })],
                  yRange: (0, Double(max(s.levels.count - 1, 1)))),
            .init(title: "p95 latency at the active level", unit: "ms",
                  series: [.init(name: "p95", color: "#d62728", points: r.steps.compactMap { st in st.p95Ms.map { (x(st), $0) } }),
                           .init(name: "budget", color: "#555555", dashed: true, step: true,
                                 points: r.steps.compactMap { st in st.latencyBudgetMs.map { (x(st), $0) } })]),
        ]
        if r.steps.contains(where: { $0.energyMj != nil }) {
            panels.append(.init(title: "energy per inference", unit: "mJ",
                                series: [.init(name: "energy", color: "#9467bd", points: r.steps.compactMap { st in st.energyMj.map { (x(st), $0) } }),
                                         .init(name: "budget", color: "#555555", dashed: true, step: true,
                                               points: r.steps.compactMap { st in st.energyBudgetMj.map { (x(st), $0) } })]))
        }
        var accuracy = SVGPanels.Panel(title: "accuracy at the active level", unit: "%",
                                       series: [.init(name: "true", color: "#2ca02c", step: true, points: r.steps.map { (x($0), 100 * $0.trueAccuracy) }),
                                                .init(name: "estimate", color: "#ff7f0e", points: r.steps.compactMap { st in st.accuracy.map { (x(st), 100 * $0) } })])
        if let floor = s.controller.accuracyFloor { accuracy.references.append((100 * floor, "floor", "#555555")) }
        panels.append(accuracy)
        let chart = SVGPanels(title: "simulate: \(s.name) (\(r.decisions.count) switches)", xLabel: "inference",
                              xRange: (0, Double(r.inferences)),
                              bands: s.load.map { (Double($0.from), Double(min($0.to, r.inferences)), "load x\($0.factor)") },
                              panels: panels)
        return chart.render()
    }
}
