import EdgePruneAdaptive

extension DaemonConfig {
    /// `budgets:` what the controller keeps the model inside. Every budget is optional; null
    /// (or leaving the key out) means none. Units are the reader's: milliseconds, millijoules,
    /// watts; `controllerConfig(...)` converts them to the runtime's SI units.
    public struct Budgets: Sendable, Equatable {
        /// p95 inference latency, milliseconds.
        public var latencyP95Ms: Double?
        /// Energy per inference, millijoules.
        public var energyMJ: Double?
        /// Average board power, watts.
        public var powerW: Double?
        /// Minimum accuracy, a fraction in (0, 1].
        public var accuracyFloor: Double?
        public var priority: ControllerConfig.Priority
        /// Fill `latency_p95_ms` and `power_w` left unset from the board profile's default budgets.
        public var boardDefaults: Bool

        public init(latencyP95Ms: Double? = nil, energyMJ: Double? = nil, powerW: Double? = nil,
                    accuracyFloor: Double? = nil, priority: ControllerConfig.Priority = .accuracyFirst,
                    boardDefaults: Bool = false) {
            self.latencyP95Ms = latencyP95Ms
            self.energyMJ = energyMJ
            self.powerW = powerW
            self.accuracyFloor = accuracyFloor
            self.priority = priority
            self.boardDefaults = boardDefaults
        }

        static let keys = ["latency_p95_ms", "energy_mj", "power_w", "accuracy_floor", "priority", "board_defaults"]
        static let priorities: [(String, ControllerConfig.Priority)] = [("accuracy-first", .accuracyFirst), ("budget-first", .budgetFirst)]

        mutating func merge(_ r: inout MappingReader) throws {
            if let v = try r.optionalDouble("latency_p95_ms") { latencyP95Ms = v }
            if let v = try r.optionalDouble("energy_mj") { energyMJ = v }
            if let v = try r.optionalDouble("power_w") { powerW = v }
            if let v = try r.optionalDouble("accuracy_floor") { accuracyFloor = v }
            if let v = try r.choice("priority", Self.priorities) { priority = v }
            if let v = try r.bool("board_defaults") { boardDefaults = v }
            try r.finish(known: Self.keys)
        }
    }

    /// `controller:` how eagerly the controller moves along the ladder. Defaults are
    /// `ControllerConfig`'s and `RunnerOptions`'.
    public struct Controller: Sendable, Equatable {
        /// Hysteresis band in [0, 1): a target level must be expected at or below budget × (1 − b).
        public var hysteresis: Double
        /// After a switch, this many inferences and this many seconds pass before the next one.
        public var cooldownInferences: Int
        public var cooldownSeconds: Double
        /// The ladder levels the controller may use (max nil: the ladder's top).
        public var minLevel: Int
        public var maxLevel: Int?
        /// Fraction of inferences the dense model re-runs off the hot path to estimate accuracy.
        public var shadowFraction: Double
        /// How long an inference waits for a label (POST /feedback), seconds.
        public var labelMaxAgeSeconds: Double
        /// Accuracy rollback: watch this many inferences after a switch to a sparser level ...
        public var rollbackWindowInferences: Int
        /// ... and keep a failed level out of reach this long, seconds.
        public var rollbackBlockSeconds: Double
        /// Latency/energy are trusted after this many inferences at a level.
        public var minLatencySamples: Int
        /// Accuracy is trusted after this many labelled or shadow trials.
        public var minFeedback: Int

        public init(hysteresis: Double? = nil, cooldownInferences: Int? = nil, cooldownSeconds: Double? = nil,
                    minLevel: Int? = nil, maxLevel: Int? = nil, shadowFraction: Double? = nil,
                    labelMaxAgeSeconds: Double? = nil, rollbackWindowInferences: Int? = nil,
                    rollbackBlockSeconds: Double? = nil, minLatencySamples: Int? = nil, minFeedback: Int? = nil) {
            let c = ControllerConfig()
            let r = RunnerOptions(controller: c)
            self.hysteresis = hysteresis ?? c.hysteresisBand
            self.cooldownInferences = cooldownInferences ?? c.cooldownInferences
            self.cooldownSeconds = cooldownSeconds ?? c.cooldownSeconds
            self.minLevel = minLevel ?? c.minLevel
            self.maxLevel = maxLevel ?? c.maxLevel
            self.shadowFraction = shadowFraction ?? r.shadowFraction
            self.labelMaxAgeSeconds = labelMaxAgeSeconds ?? r.labelMaxAge
            self.rollbackWindowInferences = rollbackWindowInferences ?? c.rollbackWindowInferences
            self.rollbackBlockSeconds = rollbackBlockSeconds ?? c.rollbackBlockSeconds
            self.minLatencySamples = minLatencySamples ?? c.minLatencySamples
            self.minFeedback = minFeedback ?? c.minFeedback
        }

        static let keys = ["hysteresis", "cooldown_inferences", "cooldown_seconds", "min_level", "max_level",
                           "shadow_fraction", "label_max_age_seconds", "rollback_window_inferences",
                           "rollback_block_seconds", "min_latency_samples", "min_feedback"]

        mutating func merge(_ r: inout MappingReader) throws {
            if let v = try r.double("hysteresis") { hysteresis = v }
            if let v = try r.int("cooldown_inferences") { cooldownInferences = v }
            if let v = try r.double("cooldown_seconds") { cooldownSeconds = v }
            if let v = try r.int("min_level") { minLevel = v }
            if let v = try r.optionalInt("max_level") { maxLevel = v }
            if let v = try r.double("shadow_fraction") { shadowFraction = v }
            if let v = try r.double("label_max_age_seconds") { labelMaxAgeSeconds = v }
            if let v = try r.int("rollback_window_inferences") { rollbackWindowInferences = v }
            if let v = try r.double("rollback_block_seconds") { rollbackBlockSeconds = v }
            if let v = try r.int("min_latency_samples") { minLatencySamples = v }
            if let v = try r.int("min_feedback") { minFeedback = v }
            try r.finish(known: Self.keys)
        }
    }
}
