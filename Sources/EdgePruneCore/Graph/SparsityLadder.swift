/// What a pruning run measured for one level of a sparsity ladder (at pruning time, on the
/// calibration/validation data it was given).
public struct LadderLevel: Sendable, Equatable, Codable {
    /// Zero fraction over the weights pruning was allowed to touch (the requested sparsity).
    public var sparsity: Double
    /// Zero fraction per pruned weight (initializer name).
    public var layerSparsity: [String: Double]
    /// Multiply-accumulates per sample that touch a kept (non-zero) weight.
    public var macs: Int
    /// Parameters of the model at this level, and how many are non-zero.
    public var parameters: Int
    public var nonzeros: Int
    /// Bytes of an .epm holding only this level (csr where it pays, compacted when structured).
    public var sizeBytes: Int
    /// Accuracy on the data given to `prune` (nil when no labels were given).
    public var accuracy: Double?
    /// Median batch-1 latency in microseconds, measured on the pruning machine.
    public var latencyMicros: Double?

    public init(sparsity: Double, layerSparsity: [String: Double] = [:], macs: Int = 0, parameters: Int = 0,
                nonzeros: Int = 0, sizeBytes: Int = 0, accuracy: Double? = nil, latencyMicros: Double? = nil) {
        self.sparsity = sparsity
        self.layerSparsity = layerSparsity
        self.macs = macs
        self.parameters = parameters
        self.nonzeros = nonzeros
        self.sizeBytes = sizeBytes
        self.accuracy = accuracy
        self.latencyMicros = latencyMicros
    }
}

/// A nested sparsity ladder: levels of increasing sparsity whose kept weight sets are nested, so
/// the runtime tightens or relaxes a model by moving one threshold.
///
/// Level 0 is the stored model itself (dense, or whatever the file holds); levels 1...n are the
/// pruned ones. Every pruned weight tensor has one code byte per element: 0 = kept at every
/// level, k (1...n) = pruned from level k on. A weight is kept at level L when its code is 0 or
/// greater than L, which makes the kept sets nested by construction.
public struct SparsityLadder: Sendable, Equatable {
    /// How the ladder was made: importance method, granularity ("unstructured", "block:RxC",
    /// "nm:N:M", "channel") and scope ("global", "layer"). Structured ("channel") ladders are
    /// compacted (channels physically removed) by the pruning module when a level is loaded.
    public var method: String
    public var granularity: String
    public var scope: String
    /// levels[0] describes level 0 (the stored model); levels[k] describes level k.
    public var levels: [LadderLevel]
    /// Per pruned weight (initializer name): one code per element, in the tensor's element order.
    public var codes: [String: [UInt8]]
    /// Recovered weights (fine-tuning or reconstruction re-fitted a level): per level 1...n, per
    /// tensor: for a coded weight, the values of the elements kept at that level, in element
    /// order; for any other f32 initializer (a bias), all its elements. A level or tensor without
    /// an entry uses the stored tensor (masked, when coded). Level 0 is always the stored model,
    /// so recovering one level never changes another and the kept sets stay nested.
    public var levelWeights: [Int: [String: [Float]]] = [:]

    public static let maxLevels = 254

    public init(method: String, granularity: String, scope: String, levels: [LadderLevel], codes: [String: [UInt8]]) {
        self.method = method
        self.granularity = granularity
        self.scope = scope
        self.levels = levels
        self.codes = codes
    }

    /// Highest level number (levels 0...topLevel exist).
    public var topLevel: Int { levels.count - 1 }

    public var isStructured: Bool { granularity == "channel" }

    /// Checks the ladder against the graph it belongs to: every coded weight exists, is f32 and
    /// has one code per element; codes and level count are in range; sparsities ascend.
    public func validate(against graph: Graph) throws {
        guard levels.count >= 1, levels.count <= SparsityLadder.maxLevels + 1 else {
            throw EdgePruneError(.format, "sparsity ladder has \(levels.count) levels (1...\(SparsityLadder.maxLevels + 1) allowed)")
        }
        for (i, level) in levels.enumerated() {
            guard level.sparsity.isFinite, level.sparsity >= 0, level.sparsity < 1 else {
                throw EdgePruneError(.format, "sparsity ladder level \(i) has sparsity \(level.sparsity), outside [0, 1)")
            }
            if i > 0, level.sparsity < levels[i - 1].sparsity {
                throw EdgePruneError(.format, "sparsity ladder level \(i) (\(level.sparsity)) is less sparse than level \(i - 1) (\(levels[i - 1].sparsity)); levels must ascend")
            }
        }
        for (name, c) in codes {
            guard let t = graph.initializers[name] else {
                throw EdgePruneError(.format, "sparsity ladder codes weight '\(name)', which the model does not have")
            }
            guard t.dtype == .float32, t.count == c.count else {
                throw EdgePruneError(.format, "sparsity ladder has \(c.count) codes for weight '\(name)' \(t.type); it needs one per element of an f32 tensor")
            }
            if let bad = c.first(where: { Int($0) > topLevel }) {
                throw EdgePruneError(.format, "sparsity ladder code \(bad) for weight '\(name)' names a level above the top level \(topLevel)")
            }
        }
        for (level, weights) in levelWeights {
            guard level >= 1, level <= topLevel else {
                throw EdgePruneError(.format, "recovered weights for level \(level), outside the ladder's levels 1...\(topLevel)")
            }
            for (name, values) in weights {
                guard let c = codes[name] else {
                    guard let t = graph.initializers[name], t.dtype == .float32, t.count == values.count else {
                        throw EdgePruneError(.format, "recovered weights for level \(level) name '\(name)', which is neither a coded weight nor an f32 initializer of \(values.count) elements")
                    }
                    if let bad = values.firstIndex(where: { !$0.isFinite }) {
                        throw EdgePruneError(.format, "level \(level) recovered value \(bad) of '\(name)' is \(values[bad])")
                    }
                    continue
                }
                let kept = keptCount(c, level: level)
                guard values.count == kept else {
                    throw EdgePruneError(.format, "level \(level) has \(values.count) recovered values for '\(name)'; the level keeps \(kept)")
                }
                if let bad = values.firstIndex(where: { !$0.isFinite }) {
                    throw EdgePruneError(.format, "level \(level) recovered value \(bad) of '\(name)' is \(values[bad])")
                }
            }
        }
    }

    /// Elements of a coded weight kept at `level`.
    public func keptCount(_ codes: [UInt8], level: Int) -> Int {
        var n = 0
        for c in codes where SparsityLadder.kept(code: c, level: level) { n += 1 }
        return n
    }

    /// The elements of `values` (a coded weight's, element order) that `level` keeps: the form
    /// `levelWeights` stores.
    public static func keptValues(_ values: [Float], codes: [UInt8], level: Int) -> [Float] {
        var out: [Float] = []
        for (c, v) in zip(codes, values) where kept(code: c, level: level) { out.append(v) }
        return out
    }

    /// The ladder cut to levels 0...top: codes above it become "never pruned", and its levels'
    /// recovered weights go.
    public func truncated(to top: Int) -> SparsityLadder {
        var l = self
        l.levels = Array(levels.prefix(top + 1))
        l.codes = codes.mapValues { $0.map { Int($0) > top ? 0 : $0 } }
        l.levelWeights = levelWeights.filter { $0.key <= top }
        return l
    }

    /// Whether the weight element with this code is kept at `level`.
    @inline(__always)
    public static func kept(code: UInt8, level: Int) -> Bool { code == 0 || Int(code) > level }
}

extension Graph {
    /// The graph at one ladder level: every coded weight copied with the pruned elements zeroed
    /// (and its kept elements replaced by the level's recovered weights, when it has some).
    /// Level 0 (or a graph without a ladder, at level 0) is the graph unchanged. The result keeps
    /// the ladder, so callers can still report on it; structured ladders still need compacting.
    public func atLadderLevel(_ level: Int) throws -> Graph {
        if level == 0 { return self }
        guard let ladder else {
            throw EdgePruneError(.input, "level \(level) asked for, but the model has no sparsity ladder (only level 0)")
        }
        guard level >= 0, level <= ladder.topLevel else {
            throw EdgePruneError(.input, "level \(level) is outside the model's sparsity ladder (levels 0...\(ladder.topLevel))")
        }
        var g = self
        for (name, codes) in ladder.codes {
            guard let t = initializers[name], t.dtype == .float32, t.count == codes.count else {
                throw EdgePruneError(.format, "sparsity ladder does not fit weight '\(name)'")
            }
            let masked = t.copy()
            let p = masked.pointer(as: Float.self)
            if let values = ladder.levelWeights[level]?[name] {
                var k = 0
                for i in 0..<codes.count {
                    if SparsityLadder.kept(code: codes[i], level: level) { p[i] = values[k]; k += 1 } else { p[i] = 0 }
                }
            } else {
                for i in 0..<codes.count where !SparsityLadder.kept(code: codes[i], level: level) { p[i] = 0 }
            }
            g.initializers[name] = masked
        }
        for (name, values) in ladder.levelWeights[level] ?? [:] where ladder.codes[name] == nil {
            guard let t = initializers[name], t.count == values.count else {
                throw EdgePruneError(.format, "level \(level) recovered weights do not fit '\(name)'")
            }
            g.initializers[name] = Tensor(values, shape: t.shape)
        }
        return g
    }
}
