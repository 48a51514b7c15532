import EdgePruneCore
import Foundation

/// One sampled point of a simulated run (every `SimulationResult.stride`-th inference, plus every
/// inference where the level changed).
public struct SimulationStep: Codable, Sendable {
    public let inference: Int
    public let time: Double
    public let level: Int
    public let latencyMs: Double
    /// p95 over the latency window at the active level (nil until enough samples).
    public let p95Ms: Double?
    public let energyMj: Double?
    /// Labelled-feedback accuracy estimate and its Wilson bounds at the active level.
    public let accuracy: Double?
    public let accuracyLower: Double?
    public let agreement: Double?
    /// The active level's true accuracy at this point of the script.
    public let trueAccuracy: Double
    public let load: Double
    public let latencyBudgetMs: Double?
    public let energyBudgetMj: Double?
}

/// The figures the acceptance asks for, computed from the timeline.
public struct SimulationFigures: Codable, Sendable {
    public struct LoadResponse: Codable, Sendable {
        public let start: Int
        public let end: Int
        /// Inferences from the load's start until the windowed p95 is back under budget for the
        /// rest of the load phase (nil: never).
        public let inferencesToBudget: Int?
        /// Inferences from the load's start until the windowed p95 is first seen under budget after
        /// having been over it (0: never over; nil: never back under): the response to the step.
        public let inferencesToFirstUnderBudget: Int?
        /// Share of the load phase after that first return in which the windowed p95 was over
        /// budget again (noise spikes, failed relax probes).
        public let overBudgetShareAfterReturn: Double?
        /// Inferences from the load's end until the controller is back at the most accurate level
        /// whose no-load latency fits the budget (nil: never within the run).
        public let inferencesToRecover: Int?
        public let recoveredLevel: Int?
    }
    public struct DriftResponse: Codable, Sendable {
        public let at: Int
        /// Labelled feedbacks between the accuracy change and the first relaxing switch (nil: none).
        public let feedbacksToRelax: Int?
    }
    public let switches: Int
    public let loadResponses: [LoadResponse]
    public let driftResponses: [DriftResponse]
    /// Longest run of consecutive inferences whose active level's true accuracy was below the floor.
    public let longestBelowFloor: Int
    public let cooldownInferences: Int
    /// Switches per 1000 inferences over the steady part of the run (after the last scripted
    /// change plus the settle window).
    public let steadySwitchesPer1000: Double?
    /// Mean |shadow-derived accuracy - true accuracy| over steps where both exist, in points.
    public let shadowTrackingErrorPoints: Double?
}

public struct SimulationResult: Codable, Sendable {
    public let scenario: String
    public let inferences: Int
    public let steps: [SimulationStep]
    public let decisions: [SwitchDecision]
    public let figures: SimulationFigures
    public let monitorCounters: [String: Int]
}
