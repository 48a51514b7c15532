import EdgePruneCore

/// The channels of one channel group (structured pruning): a channel goes with every parameter
/// slice that produces or reads it (see ChannelGroups).
struct ChannelUnits: PruningUnits {
    let group: ChannelGroup
    let shapes: [String: [Int]]
    let aggregate: GroupAggregate

    init(group: ChannelGroup, graph: Graph, aggregate: GroupAggregate) {
        self.group = group
        self.aggregate = aggregate
        var shapes: [String: [Int]] = [:]
        for s in group.slices { shapes[s.tensor] = graph.initializers[s.tensor]?.shape }
        self.shapes = shapes
    }

    var name: String { "channels of " + group.producers.joined(separator: "+") }
    var unitCount: Int { group.channels }
    var sizes: [Int] { Array(repeating: 1, count: group.channels) }

    /// Element indices of `slice` that belong to channel c.
    func elements(_ slice: ParamSlice, channel c: Int) -> [Int] {
        guard let shape = shapes[slice.tensor] else { return [] }
        let outer = shape[..<slice.axis].reduce(1, *), axisLength = shape[slice.axis]
        let inner = shape[(slice.axis + 1)...].reduce(1, *)
        var out: [Int] = []
        out.reserveCapacity(outer * slice.span * inner)
        let range = slice.range(of: c)
        for o in 0..<outer {
            for a in range where a < axisLength {
                let base = (o * axisLength + a) * inner
                for i in 0..<inner { out.append(base + i) }
            }
        }
        return out
    }

    private var producerWeights: [ParamSlice] { group.slices.filter { $0.role == .producerWeight } }

    func scores(_ context: ScoringContext) throws -> [Double] {
        switch context.method {
        case .magnitude, .magnitudeL2, .sensitivity, .taylor, .snip:
            let perWeight: [String: [Float]]
            if context.method.needsGradients {
                perWeight = try context.weights()
            } else {
                perWeight = Dictionary(uniqueKeysWithValues: producerWeights.map { s in
                    (s.tensor, context.graph.initializers[s.tensor]!.floats.map { abs($0) })
                })
            }
            return (0..<group.channels).map { c in
                var parts: [Float] = []
                for s in producerWeights {
                    guard let w = perWeight[s.tensor] else { continue }
                    parts += elements(s, channel: c).map { w[$0] }
                }
                return aggregate.combine(parts)
            }
        case .activation, .apoz, .ib:
            let stats = try context.channelStats()
            let acts = group.activations.compactMap { stats[$0] }.filter { $0.channels == group.channels }
            guard !acts.isEmpty else {
                throw EdgePruneError(.unsupported, "no activation of \(name) could be read for method '\(context.method.rawValue)'")
            }
            var labels: [Int] = [], classes = 0
            if context.method == .ib {
                guard let l = context.data?.labels else { throw EdgePruneError(.input, "method 'ib' needs labels for the calibration data (--labels)") }
                labels = l
                classes = CalibrationData.classes(of: context.graph) ?? (l.max() ?? 0) + 1
            }
            let perAct: [[Double]] = acts.map { a in
                switch context.method {
                case .activation: return a.meanAbs
                case .apoz: return a.zeroFraction.map { 1 - $0 }
                default: return InformationScores.perChannel(a, labels: labels, classes: classes)
                }
            }
            return (0..<group.channels).map { c in perAct.reduce(0.0) { $0 + $1[c] } / Double(perAct.count) }
        }
    }

    /// Slices a masked channel zeroes: everything but BatchNorm's running statistics (with scale
    /// and bias zero the channel is exactly 0 whatever they hold).
    private var maskedSlices: [ParamSlice] { group.slices.filter { $0.role != .bnMean && $0.role != .bnVar } }

    func mark(_ unit: Int, level: UInt8, codes: inout [String: [UInt8]]) {
        for s in maskedSlices {
            guard let shape = shapes[s.tensor] else { continue }
            if codes[s.tensor] == nil { codes[s.tensor] = [UInt8](repeating: 0, count: shape.reduce(1, *)) }
            for e in elements(s, channel: unit) where codes[s.tensor]![e] == 0 { codes[s.tensor]![e] = level }
        }
    }

    /// A channel is pruned when its whole producing filter is coded (single elements of it can be
    /// coded by another group pruning one of its input channels).
    func pruned(_ codes: [String: [UInt8]]) -> [Bool] {
        guard let s = producerWeights.first, let c = codes[s.tensor] else { return Array(repeating: false, count: group.channels) }
        return (0..<group.channels).map { unit in
            let e = elements(s, channel: unit)
            return !e.isEmpty && e.allSatisfy { c[$0] != 0 }
        }
    }
}
