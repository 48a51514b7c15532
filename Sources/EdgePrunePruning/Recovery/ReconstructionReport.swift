import EdgePruneCore

/// How a pruned ladder's levels are recovered after pruning (`edgeprune prune --recover`).
public enum RecoveryMethod: String, Sendable, CaseIterable, Codable {
    /// Label-free: every level's surviving weights (and biases) re-fitted layer by layer by damped
    /// least squares so the pruned layers reproduce the dense layers' outputs. See LayerReconstruction.
    case reconstruct

    public init(parsing text: String) throws {
        guard let m = RecoveryMethod(rawValue: text) else {
            throw EdgePruneError(.input, "unknown recovery method '\(text)' (\(RecoveryMethod.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = m
    }

    /// SparseGPT's default percdamp: lambda = 0.01 x mean diagonal of the layer's Gram matrix.
    public static let defaultDamping = 0.01

    /// Rejects a damping that cannot work, with the option's name in the message.
    public static func checkDamping(_ damping: Double) throws {
        guard damping.isFinite, damping > 0 else {
            throw EdgePruneError(.input, "--damping must be a finite number > 0, got \(damping)")
        }
    }
}

/// What reconstruction's damping pulls a row's solution towards.
public enum DampingAnchor: String, Sendable, CaseIterable, Codable {
    /// (X̂ᵀX̂ + λI) w = X̂ᵀy: ridge regression, small weights preferred; a weight whose input is
    /// never non-zero on the calibration data is set to 0.
    case zero
    /// (X̂ᵀX̂ + λI) w = X̂ᵀy + λ w_dense: the kept weights are pulled towards their dense values
    /// (SparseGPT's damped-Hessian objective ||X̂(w - w_dense)||² + λ||w - w_dense||² when X̂ = X);
    /// directions the calibration data never excites keep their dense values.
    case dense

    public init(parsing text: String) throws {
        guard let a = DampingAnchor(rawValue: text) else {
            throw EdgePruneError(.input, "unknown damping anchor '\(text)' (\(DampingAnchor.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = a
    }
}

/// What a reconstruction did, for the prune report.
public struct ReconstructionReport: Sendable, Codable, Equatable {
    /// One layer re-fitted at one level. Errors are squared output errors against the dense
    /// layer's outputs over the calibration rows, relative to the dense outputs' energy, both on the
    /// same inputs (the level's model with the earlier layers already reconstructed): with the
    /// masked weights (and the dense bias), and with the re-fitted ones.
    public struct Layer: Sendable, Codable, Equatable {
        public var level: Int
        public var node: String
        public var weight: String
        /// The bias re-fitted with the weight (nil: the layer has no bias of its own).
        public var bias: String?
        /// Calibration rows the layer was fitted on (samples x positions before the last axis).
        public var calibrationRows: Int
        public var maskedError: Double
        public var reconstructedError: Double
        /// Rows whose solve needed more damping, rows no damping made solvable (kept masked), and
        /// rows whose masked weights fitted better than the damped solution (kept masked).
        public var retriedRows: Int
        public var failedRows: Int
        public var maskedBetterRows: Int
    }

    public var method: RecoveryMethod
    public var damping: Double
    public var anchor: DampingAnchor
    /// Calibration samples, and the rows they make per layer (samples x positions).
    public var samples: Int
    public var layers: [Layer]
    /// Layers with codes that were not re-fitted, "node: why" (their weights stay masked).
    public var skipped: [String]
    public var seconds: Double
}
