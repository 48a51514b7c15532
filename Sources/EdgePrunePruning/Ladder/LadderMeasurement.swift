import EdgePruneCore

extension Pruner {
    /// Accuracy drop curves for `sensitivity`: each unit set alone pruned (by L1 magnitude) to
    /// every probe level, measured on the calibration data.
    static func sensitivityCurves(_ graph: Graph, units: [PruningUnits], layers: [PrunableLayer], data: CalibrationData,
                                  makeSession: (Graph) throws -> InferenceSession, progress: Progress?) throws -> [[Double]] {
        guard let labels = data.labels else { throw EdgePruneError(.input, "method 'sensitivity' needs labels (--labels)") }
        func accuracy(_ g: Graph) throws -> Double {
            let predicted = try Evaluator.predict(try makeSession(g), data: data.inputs, batch: 64)
            return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
        }
        let baseline = try accuracy(graph)
        let context = ScoringContext(method: .magnitude, graph: graph, layers: layers, activationValues: [], data: data, gradients: nil)
        let total = units.count * SensitivityAnalysis.probes.count
        var done = 0
        return try SensitivityAnalysis.curves(layers: units.count, baseline: baseline) { l, p in
            progress?("sensitivity", done, total)
            defer { done += 1 }
            let u = units[l]
            let ranked = RankedUnits(scores: try u.scores(context), sizes: u.sizes, alreadyPruned: Array(repeating: false, count: u.unitCount))
            var codes: [String: [UInt8]] = [:]
            for id in ranked.order.prefix(ranked.units(closestTo: p * Double(ranked.total), limit: ranked.total)) {
                u.mark(Int(id), level: 1, codes: &codes)
            }
            return try accuracy(try masked(graph, codes: codes, level: 1))
        }
    }

    /// Measures levels 0...n, attaches the ladder, and applies the accuracy floor.
    static func measure(_ graph: Graph, options: PruneOptions, units: [PruningUnits], layers: [PrunableLayer],
                        codes: [String: [UInt8]], levelWeights: [Int: [String: [Float]]] = [:], recovery: ReconstructionReport? = nil,
                        data: CalibrationData?, protected: [String], skipped: [String],
                        makeSession: (Graph) throws -> InferenceSession, progress: Progress?) throws -> PruneOutcome {
        var g = graph
        let n = options.levels.count
        var ladder = SparsityLadder(method: options.method.rawValue, granularity: options.granularity.description,
                                    scope: options.scope.rawValue, levels: (0...n).map { _ in LadderLevel(sparsity: 0) }, codes: codes)
        ladder.levelWeights = levelWeights  // recovered levels are measured as they will run
        g.ladder = ladder
        let inputs = try data?.inputs ?? zeroSample(graph)
        var reports: [LevelReport] = []
        var floorNote: String? = nil
        for level in 0...n {
            progress?("measure", level, n + 1)
            let r = try LevelEvaluator.evaluate(g, level: level, data: inputs, labels: data?.labels,
                                                options: .init(batch: 64, latencyRuns: options.latencyRuns, warmupRuns: options.latencyRuns > 0 ? 20 : 0),
                                                makeSession: makeSession)
            let (sparsity, perLayer) = achieved(units: units, layers: layers, graph: graph, codes: codes, level: level)
            if level > 0, let floor = options.accuracyFloor, let acc = r.classification?.accuracy, acc < floor {
                floorNote = String(format: "the accuracy floor %.4f stopped the ladder at level %d (sparsity %.3f): level %d (sparsity %.3f) scored %.4f", floor, level - 1, ladder.levels[level - 1].sparsity, level, sparsity, acc)
                break
            }
            ladder.levels[level] = LadderLevel(sparsity: sparsity, layerSparsity: perLayer, macs: r.stats.effectiveMacs,
                                               parameters: r.stats.parameters, nonzeros: r.stats.nonzeros, sizeBytes: r.epmBytes,
                                               accuracy: r.classification?.accuracy, latencyMicros: r.latency?.p50Micros)
            reports.append(r)
        }
        progress?("measure", n + 1, n + 1)
        let kept = reports.count - 1
        guard kept >= 1 else {
            throw EdgePruneError(.input, (floorNote ?? "no level kept") + "; no level meets the floor, nothing written")
        }
        if kept < n {
            ladder = ladder.truncated(to: kept)
        }
        g.ladder = ladder
        try ladder.validate(against: g)
        return PruneOutcome(graph: g, requested: Array(options.levels.prefix(kept)), reports: reports,
                            protectedLayers: protected, skipped: skipped, floorNote: floorNote, recovery: recovery)
    }

    /// Zero fraction at `level` over what pruning could touch: the pruned layers' weights, or for
    /// structured pruning the channels of the pruned groups; and per layer (or group).
    static func achieved(units: [PruningUnits], layers: [PrunableLayer], graph: Graph, codes: [String: [UInt8]],
                         level: Int) -> (Double, [String: Double]) {
        if units.first is ChannelUnits {
            let upTo = codes.mapValues { $0.map { $0 != 0 && Int($0) <= level ? $0 : 0 } }
            var removed = 0, total = 0, per: [String: Double] = [:]
            for u in units {
                let r = u.pruned(upTo).filter { $0 }.count
                removed += r
                total += u.unitCount
                per[u.name] = Double(r) / Double(max(u.unitCount, 1))
            }
            return (Double(removed) / Double(max(total, 1)), per)
        }
        var zeros = 0, total = 0, per: [String: Double] = [:]
        for layer in layers {
            let w = graph.initializers[layer.weight]!.pointer(as: Float.self)
            let c = codes[layer.weight]
            var z = 0
            for i in 0..<layer.count where w[i] == 0 || !(c.map { SparsityLadder.kept(code: $0[i], level: level) } ?? true) { z += 1 }
            zeros += z
            total += layer.count
            per[layer.weight] = Double(z) / Double(layer.count)
        }
        return (Double(zeros) / Double(max(total, 1)), per)
    }

    /// One all-zero sample for latency when no calibration data was given.
    static func zeroSample(_ graph: Graph) throws -> Tensor {
        guard let info = graph.runtimeInputs.first, graph.runtimeInputs.count == 1 else {
            throw EdgePruneError(.input, "measuring levels needs a single-input model")
        }
        let shape = try info.dims.enumerated().map { i, d -> Int in
            switch d {
            case .fixed(let v): return v
            case .symbolic(let s):
                guard i == 0 else { throw EdgePruneError(.input, "input '\(info.name)' has symbolic dimension '\(s)'; give --calib data") }
                return 1
            }
        }
        return Tensor(zeros: TensorType(info.dtype, shape))
    }
}
