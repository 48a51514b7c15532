import EdgePruneCore

/// Where a sparsity target applies.
public enum PruneScope: String, Sendable, CaseIterable {
    /// One target over all pruned layers together, spread by LAMP-normalised scores (or, for
    /// `sensitivity`, by the layers' accuracy-drop curves).
    case global
    /// One threshold on the raw scores over all pruned layers (torch's global_unstructured): no
    /// per-layer normalisation, so small-weight layers lose most.
    case globalThreshold = "global-threshold"
    /// Every pruned layer (or channel group) to the target on its own.
    case layer
}

/// What `Pruner.prune` builds.
public struct PruneOptions: Sendable {
    public var method: ImportanceMethod
    public var granularity: Granularity
    public var scope: PruneScope
    /// Requested sparsities of levels 1...n, ascending, each in (0, 1).
    public var levels: [Double]
    /// Gradual pruning: data-dependent scores (activation, apoz, ib, taylor) are recomputed on
    /// the model pruned to the previous level before each level is cut. One-shot otherwise.
    public var rescore: Bool
    /// Layers (node or weight names) pruning leaves alone; nil: the first and last layer.
    public var protect: [String]?
    /// No pruned layer (or channel group) goes above this sparsity.
    public var maxLayerSparsity: Double
    /// Stop the ladder at the last level whose calibration accuracy is at least this.
    public var accuracyFloor: Double?
    /// Timed batch-1 runs per level for the ladder's latency column (0: not measured).
    public var latencyRuns: Int
    /// Recovery applied to every level after the ladder is cut and before it is measured (nil:
    /// none; the levels are the masked dense weights).
    public var recover: RecoveryMethod?
    /// Reconstruction damping: lambda = damping x mean diagonal of each layer's Gram matrix.
    public var damping: Double
    /// What reconstruction's damping pulls the kept weights towards.
    public var dampingAnchor: DampingAnchor

    public init(method: ImportanceMethod = .magnitude, granularity: Granularity = .unstructured, scope: PruneScope = .global,
                levels: [Double], rescore: Bool = false, protect: [String]? = nil, maxLayerSparsity: Double = 0.99,
                accuracyFloor: Double? = nil, latencyRuns: Int = 100, recover: RecoveryMethod? = nil,
                damping: Double = RecoveryMethod.defaultDamping, dampingAnchor: DampingAnchor = .zero) {
        self.method = method
        self.granularity = granularity
        self.scope = scope
        self.levels = levels
        self.rescore = rescore
        self.protect = protect
        self.maxLayerSparsity = maxLayerSparsity
        self.accuracyFloor = accuracyFloor
        self.latencyRuns = latencyRuns
        self.recover = recover
        self.damping = damping
        self.dampingAnchor = dampingAnchor
    }

    /// Rejects combinations that cannot work, before any work is done.
    func validate(hasData: Bool, hasLabels: Bool) throws {
        for s in levels { try Schedule.check(s, what: "sparsity level") }
        guard levels == levels.sorted(), Set(levels).count == levels.count, !levels.isEmpty,
              levels.count <= SparsityLadder.maxLevels else {
            throw EdgePruneError(.input, "levels must be 1...\(SparsityLadder.maxLevels) distinct ascending sparsities, got \(levels)")
        }
        guard maxLayerSparsity > 0, maxLayerSparsity <= 1 else {
            throw EdgePruneError(.input, "--max-layer-sparsity \(maxLayerSparsity) is outside (0, 1]")
        }
        if scope == .layer, let top = levels.last, top > maxLayerSparsity {
            throw EdgePruneError(.input, "level \(top) is above --max-layer-sparsity \(maxLayerSparsity), which caps every layer with --scope layer")
        }
        if method == .sensitivity && scope == .layer {
            throw EdgePruneError(.input, "method 'sensitivity' spreads one target over layers; use --scope global (with --scope layer every layer gets the same sparsity, which is plain magnitude)")
        }
        if case .nm(let n, let m) = granularity {
            if method == .sensitivity { throw EdgePruneError(.input, "N:M fixes the sparsity of every group of \(m); 'sensitivity' has nothing to spread (use magnitude, activation, apoz, ib)") }
            for s in levels {
                let keep = Double(m) * (1 - s)
                guard abs(keep - keep.rounded()) < 1e-6, keep.rounded() <= Double(n), keep.rounded() >= 1 else {
                    let allowed = (1...n).reversed().map { String(format: "%g", 1 - Double($0) / Double(m)) }.joined(separator: ", ")
                    throw EdgePruneError(.input, "nm:\(n):\(m) keeps k of every \(m) weights with k <= \(n), so its levels are \(allowed); got \(s)")
                }
            }
        }
        if method.needsData && !hasData { throw EdgePruneError(.input, "method '\(method.rawValue)' needs calibration data (--calib)") }
        if method.needsLabels && !hasLabels {
            throw EdgePruneError(.input, "method '\(method.rawValue)' needs labels for the calibration data (--labels)")
        }
        if let floor = accuracyFloor {
            guard floor.isFinite, floor >= 0, floor <= 1 else { throw EdgePruneError(.input, "--accuracy-floor \(floor) is outside [0, 1]") }
            guard hasLabels else { throw EdgePruneError(.input, "--accuracy-floor needs labelled calibration data (--calib and --labels)") }
        }
        if recover == .reconstruct {
            try RecoveryMethod.checkDamping(damping)
            guard hasData else {
                throw EdgePruneError(.input, "--recover reconstruct needs calibration data (--calib; labels are not needed)")
            }
            if granularity == .channel {
                throw EdgePruneError(.input, "--recover reconstruct re-fits weight-level ladders (unstructured, block, nm); channel ladders are compacted and not supported yet")
            }
        }
        guard latencyRuns >= 0 else { throw EdgePruneError(.input, "latency runs must be >= 0") }
    }
}
