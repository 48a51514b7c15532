import EdgePruneCore
import EdgePruneDevice
import EdgePruneAdaptive

/// From the config's units and names to the runtime's types.
extension DaemonConfig {
    /// The controller's settings in SI units: ms → s, mJ → J. With `budgets.board_defaults`,
    /// a latency or power budget left unset comes from `board.defaultBudgets`.
    /// `denseAccuracy` is the dense model's offline accuracy from its metadata (nil: unknown).
    public func controllerConfig(denseAccuracy: Double?, board: BoardProfile? = nil) -> ControllerConfig {
        var latencyMs = budgets.latencyP95Ms
        var powerW = budgets.powerW
        if budgets.boardDefaults, let defaults = board?.defaultBudgets {
            latencyMs = latencyMs ?? defaults.latencyP95Ms
            powerW = powerW ?? defaults.powerW
        }
        let c = controller
        return ControllerConfig(
            latencyP95Budget: latencyMs.map { $0 / 1000 },
            energyBudget: budgets.energyMJ.map { $0 / 1000 },
            powerBudget: powerW,
            accuracyFloor: budgets.accuracyFloor,
            denseAccuracy: denseAccuracy,
            priority: budgets.priority,
            hysteresisBand: c.hysteresis,
            cooldownInferences: c.cooldownInferences,
            cooldownSeconds: c.cooldownSeconds,
            minLevel: c.minLevel,
            maxLevel: c.maxLevel,
            rollbackWindowInferences: c.rollbackWindowInferences,
            rollbackBlockSeconds: c.rollbackBlockSeconds,
            minLatencySamples: c.minLatencySamples,
            minFeedback: c.minFeedback)
    }

    /// `controllerConfig` plus the runner's shadow fraction and label lifetime; the other
    /// runner options keep `RunnerOptions`' defaults.
    public func runnerOptions(denseAccuracy: Double?, board: BoardProfile? = nil) -> RunnerOptions {
        RunnerOptions(controller: controllerConfig(denseAccuracy: denseAccuracy, board: board),
                      labelMaxAge: controller.labelMaxAgeSeconds,
                      shadowFraction: controller.shadowFraction)
    }

    /// The queue's policy (`queue.policy` is already the device layer's type).
    public var backpressurePolicy: BackpressurePolicy { queue.policy }

    /// The board profile `device.board` chooses: `auto` detects from the device tree model
    /// (then /proc/cpuinfo) and falls back to x86_64-generic; a name is a built-in profile; a
    /// path is loaded and validated.
    public func boardProfile(modelPath: String = "/proc/device-tree/model",
                             cpuinfoPath: String = "/proc/cpuinfo") throws -> BoardProfile {
        switch device.board {
        case .auto:
            return BoardProfile.detect(cpuinfoPath: cpuinfoPath, modelPath: modelPath) ?? .x86_64Generic
        case .builtIn(let name):
            guard let profile = BoardProfile.builtIn(named: name) else {
                throw EdgePruneError(.input, "config: device.board '\(name)' is not a built-in board (\(BoardProfile.builtIn.map(\.name).joined(separator: ", ")))")
            }
            return profile
        case .file(let path):
            do {
                return try BoardProfile.load(path: path)
            } catch let error as EdgePruneError {
                throw EdgePruneError(error.kind, "config: device.board: \(error.message)")
            }
        }
    }

    /// The MQTT client id: `mqtt.client_id`, else `edgeprune-<device id>`.
    public var mqttClientID: String { mqtt.clientID ?? "edgeprune-\(device.id)" }

    /// The topic an mqtt sink publishes to, `{device}` replaced by the device id.
    public func topic(for sink: MQTTSink) -> String {
        guard let topic = sink.topic else { return "\(mqtt.topicPrefix)/devices/\(device.id)/inference" }
        return topic.replacing("{device}", with: device.id)
    }

    /// `model.normalization` as the sensor pipeline's value: nil for none; for `model`, the
    /// mean/std from the model's metadata (`fromModel`, nil when the model has none).
    public func normalization(fromModel: Normalization?) -> Normalization? {
        switch model.normalization {
        case .none: return nil
        case .model: return fromModel
        case .explicit(let n): return n
        }
    }
}
