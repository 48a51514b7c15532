extension DaemonConfig {
    /// `recovery:` on-device recovery (docs/recovery.md, "On-device recovery"): a low-priority
    /// background thread fine-tunes the active ladder level's surviving weights on labelled
    /// feedback and adopts the result only when it is better on a held-out slice of that
    /// feedback. Off unless `enabled: true`; local only (a remote overlay cannot change it).
    public struct Recovery: Sendable, Equatable {
        public enum Optimizer: String, Sendable, CaseIterable { case adam, sgd }

        public var enabled: Bool
        /// Recent inference inputs kept so that a later label can be matched to its window.
        public var windowCapacity: Int
        /// Labelled samples kept (oldest dropped first); training uses all of them.
        public var maxSamples: Int
        /// A run needs at least this many labelled samples in total ...
        public var minSamples: Int
        /// ... and this many that arrived since the previous run (so a rejected run is not
        /// repeated on the same data).
        public var minNewSamples: Int
        /// Share of the samples held out for validation (deterministic split).
        public var validationFraction: Double
        public var epochs: Int
        public var batchSize: Int
        public var optimizer: Optimizer
        /// nil: 0.001 for adam, 0.01 for sgd.
        public var learningRate: Double?
        public var momentum: Double
        public var weightDecay: Double
        /// Time between the end of one run and the start of the next, seconds.
        public var cooldownSeconds: Double
        /// A run that takes longer stops at its next batch and keeps its best validated epoch.
        public var maxTrainingSeconds: Double
        /// The training thread's nice value (0...19; higher is lower priority).
        public var nice: Int
        /// The candidate must beat the running level on the held-out slice with a one-sided
        /// exact McNemar (sign) test at this level; 1 accepts any strict improvement.
        public var significance: Double

        public init(enabled: Bool = false, windowCapacity: Int = 1024, maxSamples: Int = 2000, minSamples: Int = 200,
                    minNewSamples: Int = 50, validationFraction: Double = 0.25, epochs: Int = 5, batchSize: Int = 32,
                    optimizer: Optimizer = .adam, learningRate: Double? = nil, momentum: Double = 0.9, weightDecay: Double = 0,
                    cooldownSeconds: Double = 600, maxTrainingSeconds: Double = 300, nice: Int = 10, significance: Double = 0.05) {
            self.enabled = enabled
            self.windowCapacity = windowCapacity
            self.maxSamples = maxSamples
            self.minSamples = minSamples
            self.minNewSamples = minNewSamples
            self.validationFraction = validationFraction
            self.epochs = epochs
            self.batchSize = batchSize
            self.optimizer = optimizer
            self.learningRate = learningRate
            self.momentum = momentum
            self.weightDecay = weightDecay
            self.cooldownSeconds = cooldownSeconds
            self.maxTrainingSeconds = maxTrainingSeconds
            self.nice = nice
            self.significance = significance
        }

        /// The learning rate in force (the optimizer's default when unset).
        public var effectiveLearningRate: Double { learningRate ?? (optimizer == .adam ? 1e-3 : 1e-2) }

        static let keys = ["enabled", "window_capacity", "max_samples", "min_samples", "min_new_samples", "validation_fraction",
                           "epochs", "batch_size", "optimizer", "learning_rate", "momentum", "weight_decay", "cooldown_seconds",
                           "max_training_seconds", "nice", "significance"]

        mutating func merge(_ r: inout MappingReader) throws {
            if let v = try r.bool("enabled") { enabled = v }
            if let v = try r.int("window_capacity") { windowCapacity = v }
            if let v = try r.int("max_samples") { maxSamples = v }
            if let v = try r.int("min_samples") { minSamples = v }
            if let v = try r.int("min_new_samples") { minNewSamples = v }
            if let v = try r.double("validation_fraction") { validationFraction = v }
            if let v = try r.int("epochs") { epochs = v }
            if let v = try r.int("batch_size") { batchSize = v }
            if let v = try r.choice("optimizer", Optimizer.allCases.map { ($0.rawValue, $0) }) { optimizer = v }
            if let v = try r.optionalDouble("learning_rate") { learningRate = v }
            if let v = try r.double("momentum") { momentum = v }
            if let v = try r.double("weight_decay") { weightDecay = v }
            if let v = try r.double("cooldown_seconds") { cooldownSeconds = v }
            if let v = try r.double("max_training_seconds") { maxTrainingSeconds = v }
            if let v = try r.int("nice") { nice = v }
            if let v = try r.double("significance") { significance = v }
            try r.finish(known: Self.keys)
        }

        /// Ranges and the settings that need each other; the first problem names its key.
        func validate(_ e: ConfigErrors) throws {
            func n(_ v: Double) -> String { ConfigErrors.number(v) }
            guard (1...1_000_000).contains(windowCapacity) else {
                throw e.invalid("recovery.window_capacity", "must be in 1...1000000 windows, got \(windowCapacity)")
            }
            guard (2...1_000_000).contains(maxSamples) else {
                throw e.invalid("recovery.max_samples", "must be in 2...1000000 samples, got \(maxSamples)")
            }
            guard minSamples >= 2, minSamples <= maxSamples else {
                throw e.invalid("recovery.min_samples", "must be in 2...recovery.max_samples (\(maxSamples)), got \(minSamples)")
            }
            guard minNewSamples >= 1, minNewSamples <= maxSamples else {
                throw e.invalid("recovery.min_new_samples", "must be in 1...recovery.max_samples (\(maxSamples)), got \(minNewSamples)")
            }
            guard validationFraction > 0, validationFraction < 1 else {
                throw e.invalid("recovery.validation_fraction", "must be in (0, 1), got \(n(validationFraction))")
            }
            guard (1...1000).contains(epochs) else { throw e.invalid("recovery.epochs", "must be in 1...1000, got \(epochs)") }
            guard (1...65_536).contains(batchSize) else { throw e.invalid("recovery.batch_size", "must be in 1...65536, got \(batchSize)") }
            if let lr = learningRate, !(lr.isFinite && lr > 0 && lr <= 10) {
                throw e.invalid("recovery.learning_rate", "must be a number in (0, 10], got \(n(lr))")
            }
            guard momentum >= 0, momentum < 1 else { throw e.invalid("recovery.momentum", "must be in [0, 1), got \(n(momentum))") }
            guard weightDecay >= 0, weightDecay <= 1 else {
                throw e.invalid("recovery.weight_decay", "must be in [0, 1], got \(n(weightDecay))")
            }
            guard cooldownSeconds >= 0, cooldownSeconds <= 30 * 86_400 else {
                throw e.invalid("recovery.cooldown_seconds", "must be in 0...2592000, got \(n(cooldownSeconds))")
            }
            guard maxTrainingSeconds > 0, maxTrainingSeconds <= 86_400 else {
                throw e.invalid("recovery.max_training_seconds", "must be in (0, 86400], got \(n(maxTrainingSeconds))")
            }
            guard (0...19).contains(nice) else { throw e.invalid("recovery.nice", "must be a nice value in 0...19, got \(nice)") }
            guard significance > 0, significance <= 1 else {
                throw e.invalid("recovery.significance", "must be in (0, 1] (1: any strict improvement), got \(n(significance))")
            }
        }
    }
}
