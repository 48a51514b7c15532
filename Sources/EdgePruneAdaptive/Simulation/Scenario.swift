import EdgePruneCore
import Foundation

/// A scripted run for the simulator: per-level figures, a load script, an accuracy script, a
/// label stream and the controller's configuration. JSON, e.g. Scenarios/load_step.json.
///
/// Time is virtual: inference i starts at i × interval. A level's latency is its base latency ×
/// the load factor in force × (1 + jitter), jitter uniform in ±`latencyJitter` from a seeded
/// generator, so a scenario always gives the same timeline.
public struct Scenario: Codable, Sendable {
    public struct Level: Codable, Sendable {
        public var sparsity: Double
        /// Latency at no load, milliseconds.
        public var latencyMs: Double
        /// True top-1 accuracy (probability that a prediction is right).
        public var accuracy: Double
        /// Energy per inference at no load, millijoules.
        public var energyMj: Double?
        /// Probability that this level's top-1 equals the dense level's (shadow agreement).
        public var agreement: Double?
    }

    /// A load multiplier on every level's latency (and energy) for inferences from ..< to.
    public struct LoadPhase: Codable, Sendable {
        public var from: Int
        public var to: Int
        public var factor: Double
    }

    /// From inference `from` on, these levels' true accuracy changes (level index as a string key).
    public struct AccuracyChange: Codable, Sendable {
        public var from: Int
        public var accuracy: [String: Double]
    }

    /// Budgets that change during the run (e.g. a tightening energy budget).
    public struct BudgetChange: Codable, Sendable {
        public var from: Int
        public var latencyP95Ms: Double?
        public var energyMj: Double?
        public var averagePowerW: Double?
    }

    public struct Labels: Codable, Sendable {
        /// Fraction of inferences that get a label.
        public var fraction: Double
        /// Inferences between an inference and its label.
        public var delay: Int
    }

    public var name: String
    public var seed: UInt64
    public var inferences: Int
    /// Virtual time between inference starts, milliseconds.
    public var intervalMs: Double
    public var latencyJitter: Double
    public var levels: [Level]
    public var initialLevel: Int
    public var load: [LoadPhase]
    public var accuracyChanges: [AccuracyChange]
    public var budgetChanges: [BudgetChange]
    public var labels: Labels?
    /// Fraction of inferences checked against the dense level (shadow agreement).
    public var shadowFraction: Double?
    /// Labelled results per level the accuracy estimate is taken over (default 100).
    public var accuracyWindow: Int?
    public var controller: ControllerConfig

    public static func load(_ path: String) throws -> Scenario {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EdgePruneError(.io, "cannot read scenario '\(path)'")
        }
        let s: Scenario
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            s = try decoder.decode(Scenario.self, from: data)
        } catch let e as DecodingError {
            throw EdgePruneError(.input, "scenario '\(path)': \(Scenario.describe(e))")
        }
        do { try s.validate() } catch let e as EdgePruneError { throw EdgePruneError(e.kind, "scenario '\(path)': \(e.message)") }
        return s
    }

    public func validate() throws {
        func bad(_ m: String) -> EdgePruneError { EdgePruneError(.input, m) }
        guard inferences > 0, inferences <= 10_000_000 else { throw bad("inferences must be 1...10000000") }
        guard intervalMs.isFinite, intervalMs > 0 else { throw bad("interval_ms must be positive") }
        guard latencyJitter.isFinite, latencyJitter >= 0, latencyJitter < 1 else { throw bad("latency_jitter must be in [0, 1)") }
        guard !levels.isEmpty, levels.count <= 255 else { throw bad("levels must list 1...255 levels") }
        for (i, l) in levels.enumerated() {
            guard l.latencyMs.isFinite, l.latencyMs > 0 else { throw bad("level \(i): latency_ms must be positive") }
            guard (0...1).contains(l.accuracy) else { throw bad("level \(i): accuracy must be in [0, 1]") }
            if let a = l.agreement { guard (0...1).contains(a) else { throw bad("level \(i): agreement must be in [0, 1]") } }
            if let e = l.energyMj { guard e.isFinite, e >= 0 else { throw bad("level \(i): energy_mj must be >= 0") } }
        }
        guard levels.indices.contains(initialLevel) else { throw bad("initial_level \(initialLevel) is not a level (0...\(levels.count - 1))") }
        for p in load { guard p.from >= 0, p.to > p.from, p.factor.isFinite, p.factor > 0 else { throw bad("load phase \(p.from)..<\(p.to): needs 0 <= from < to and factor > 0") } }
        for c in accuracyChanges {
            for (k, v) in c.accuracy {
                guard let i = Int(k), levels.indices.contains(i), (0...1).contains(v) else {
                    throw bad("accuracy change at \(c.from): level '\(k)' -> \(v) needs an existing level and an accuracy in [0, 1]")
                }
            }
        }
        if let l = labels { guard (0...1).contains(l.fraction), l.delay >= 0 else { throw bad("labels need fraction in [0, 1] and delay >= 0") } }
        if let w = accuracyWindow { guard (8...100_000).contains(w) else { throw bad("accuracy_window must be 8...100000") } }
        if let f = shadowFraction { guard (0...1).contains(f) else { throw bad("shadow_fraction must be in [0, 1]") } }
        try controller.validate()
    }

    static func describe(_ e: DecodingError) -> String {
        switch e {
        case .keyNotFound(let k, let c): return "missing field '\(path(c.codingPath + [k]))'"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "wrong type at '\(path(c.codingPath))': \(c.debugDescription)"
        case .dataCorrupted(let c): return "invalid JSON\(c.codingPath.isEmpty ? "" : " at '\(path(c.codingPath))'"): \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }

    static func path(_ keys: [CodingKey]) -> String { keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") }
}
