import EdgePruneAdaptive
import EdgePruneCore
import EdgePruneDaemon
import EdgePruneDevice
import EdgePruneHTTP
import EdgePruneONNX
import Foundation
import Logging

/// `edgeprune serve`'s core: the state directory, the model, the inference loop, and the
/// `DaemonControl` the HTTP API and MQTT drive. Remote changes are validated completely, then
/// persisted (the commit point), then handed to the inference thread between two inferences.
public final class DaemonService: DaemonControl, @unchecked Sendable {
    public let store: StateStore
    public let metrics: DaemonMetrics
    public let board: BoardProfile
    /// The local config as loaded (file + environment); remote overlays apply on top of it.
    public let baseConfig: DaemonConfig
    private let logger: Logger
    private let gpioBackend: () throws -> any GPIOBackend
    private let updateLock = NSLock()
    private let lock = NSLock()
    private var config: DaemonConfig
    private var version: UInt64
    private var runner: AdaptiveRunner
    private var modelDescription: String
    private var stopping = false
    private var loopStarted = false
    private var persisted: [String: UInt64]
    private let startedAt = DeviceClock.monotonicSeconds()
    private let started = InferenceRecord.wallClock()
    public private(set) var loop: InferenceLoop!
    private let stagingPath: String
    private let persistStop = DispatchSemaphore(value: 0)
    private let persisterEnded = DispatchGroup()
    private var persistFailures = 0
    /// On-device recovery (nil unless `recovery.enabled`).
    public private(set) var recovery: OnDeviceRecovery?

    /// Opens the state directory (one process at a time), restores the persisted overlay,
    /// model and level, and builds the pipeline; nothing runs until `start()`.
    /// `publish` is the MQTT client's publish for mqtt sinks (nil without MQTT).
    public init(config base: DaemonConfig, logger: Logger, gpioBackend: @escaping () throws -> any GPIOBackend = { LibgpiodBackend() },
                publish: ((String, [UInt8]) -> Bool)? = nil) throws {
        self.logger = logger
        self.gpioBackend = gpioBackend
        baseConfig = base
        store = try StateStore(directory: base.state.directory)
        let report = store.openReport
        if report.removedTemporaries > 0 || !report.skippedManifests.isEmpty {
            logger.warning("state directory recovered from an interrupted write", metadata: [
                "removed_temporaries": "\(report.removedTemporaries)", "skipped_manifests": "\(report.skippedManifests)"])
        }
        let snapshot = store.current
        version = snapshot.configVersion
        persisted = snapshot.counters
        var effective = base
        if let overlay = try store.readConfig() {
            do {
                effective = try base.applyingRemoteOverlay(overlay, source: "the persisted remote config (version \(version))")
            } catch {
                logger.error("the persisted remote config no longer applies to the local config; running on the local config", metadata: ["error": "\(error)"])
            }
        }
        config = effective
        board = try base.boardProfile()
        stagingPath = store.directory + "/staging"
        try DurableFile.ensureDirectory(stagingPath)
        for name in (try? DurableFile.list(stagingPath)) ?? [] { unlink(stagingPath + "/" + name) }

        let modelPath: String
        if let stored = store.modelPath {
            modelPath = stored
            modelDescription = "uploaded model sha256 \(snapshot.model!.sha256.prefix(16))"
        } else if let path = base.model.path {
            modelPath = path
            modelDescription = path
        } else {
            throw EdgePruneError(.input, "config: model.path is not set and no model was uploaded to \(base.state.directory)")
        }
        let graph = try SourceFactory.keyed("model.path") { try ModelLoader.load(modelPath) }
        let top = graph.ladder?.topLevel ?? 0
        // The persisted level (after a first run), clamped to the ladder and the configured range.
        let wanted = snapshot.model != nil || snapshot.generation > 0 ? snapshot.level : base.model.level
        let low = min(effective.controller.minLevel, top), high = min(effective.controller.maxLevel ?? top, top)
        let model = try Self.model(graph, threads: base.model.threads, level: min(max(wanted, low), max(high, low)))
        let firstID = (snapshot.counters["next_inference_id"] ?? 0) + 1
        do {
            runner = try Self.runner(model, config: effective, board: board, firstInferenceID: firstID)
        } catch where effective != base {
            logger.error("the persisted remote config does not fit this model; running on the local config", metadata: ["error": "\(error)"])
            effective = base
            config = base
            runner = try Self.runner(model, config: base, board: board, firstInferenceID: firstID)
        }
        metrics = DaemonMetrics()
        metrics.configVersion(version)

        let source = try SourceFactory.source(effective, gpioBackend: gpioBackend)
        do {
            let channels = source.channelCount ?? runner.inputCount / max(effective.window.size, 1)
            let windower = try SourceFactory.keyed("window") {
                try Windower(size: effective.window.size, hop: effective.window.hop, channels: channels, layout: effective.window.layout)
            }
            guard effective.window.size * channels == runner.inputCount else {
                throw EdgePruneError(.input, "config: window.size \(effective.window.size) × \(channels) channels from source '\(source.name)' = "
                                     + "\(effective.window.size * channels) values, but the model takes \(runner.inputCount)")
            }
            let queue = try SourceFactory.keyed("queue") {
                try BoundedQueue<SensorWindow>(capacity: effective.queue.capacity, policy: effective.queue.policy,
                                               blockTimeout: effective.queue.blockTimeoutSeconds)
            }
            // Models carry no normalization metadata yet: `model.normalization: model` would
            // silently mean none, so it is refused.
            if case .model = effective.model.normalization {
                throw EdgePruneError(.input, "config: model.normalization is 'model', but the model carries no normalization; give {mean: [...], std: [...]} or none")
            }
            let normalization = effective.normalization(fromModel: nil) ?? .identity
            let pipeline = try SourceFactory.keyed("model.normalization") {
                try SensorPipeline(source: source, windower: windower, normalization: normalization, queue: queue)
            }
            let sinks = try SourceFactory.sinks(effective, gpioBackend: gpioBackend, publish: publish)
            let samples = try Self.recoverySamples(base.recovery, runner: runner)
            loop = InferenceLoop(pipeline: pipeline, runner: runner, sinks: sinks, metrics: metrics, logger: logger,
                                 recordInput: samples.map { s in { id, input in s.record(id: id, input: input) } })
            if let samples { recovery = makeRecovery(base.recovery, samples: samples) }
        } catch {
            source.close()
            store.close()
            throw error
        }
    }

    deinit { store.close() }

    /// The sample buffers of on-device recovery, bounded: at most 256 MiB of inputs.
    static func recoverySamples(_ r: DaemonConfig.Recovery, runner: AdaptiveRunner) throws -> RecoverySamples? {
        guard r.enabled else { return nil }
        let bytes = RecoverySamples.bytes(inputCount: runner.inputCount, windowCapacity: r.windowCapacity, maxSamples: r.maxSamples)
        guard bytes <= 256 << 20 else {
            throw EdgePruneError(.input, "config: recovery.window_capacity (\(r.windowCapacity)) + recovery.max_samples (\(r.maxSamples)) "
                                 + "windows of \(runner.inputCount) values would hold \(bytes >> 20) MiB; at most 256 MiB")
        }
        return RecoverySamples(inputCount: runner.inputCount, classes: runner.classes, windowCapacity: r.windowCapacity,
                               maxSamples: r.maxSamples)
    }

    private func makeRecovery(_ r: DaemonConfig.Recovery, samples: RecoverySamples) -> OnDeviceRecovery {
        OnDeviceRecovery(settings: r, samples: samples, logger: logger, metrics: metrics, current: { [weak self] in
            guard let self else { return nil }
            let model = lock.withLock { runner.model }
            return OnDeviceRecovery.Target(graph: model.graph, level: model.activeLevel, token: model)
        }, adopt: { [weak self] graph, figures, token in
            guard let self else { return "the daemon has stopped" }
            return installRecovered(graph, figures: figures, token: token)
        })
    }

    /// Installs a model recovery made: written to the staging directory (atomically), then the
    /// path of an uploaded model (health check on every level, persisted in the state directory,
    /// swapped in). nil when in force, else why not. Refused when the running model is no longer
    /// the one recovery trained (`token`).
    func installRecovered(_ graph: Graph, figures: RecoveryFigures, token: AnyObject) -> String? {
        let path = stagingPath + "/recovered-\(getpid())-\(UInt64(DeviceClock.monotonicSeconds() * 1e6)).epm"
        do { try EPMWriter.write(graph, to: path) } catch {
            unlink(path)
            return "cannot stage it in \(stagingPath): \(error)"
        }
        let outcome = installModel(stagedPath: path, expecting: token,
                                   describe: { "model recovered on the device (level \(figures.level)), sha256 \($0.prefix(16))" })
        switch outcome {
        case .applied: return nil
        case .rejected(let why), .rolledBack(let why), .failed(let why): return why
        }
    }

    static func model(_ graph: Graph, threads: Int, level: Int) throws -> AdaptiveModel {
        try AdaptiveModel(graph: graph, options: AdaptiveModel.Options(threads: threads, initialLevel: level))
    }

    static func runner(_ model: AdaptiveModel, config: DaemonConfig, board: BoardProfile, firstInferenceID: UInt64 = 1) throws -> AdaptiveRunner {
        let dense = model.graph.ladder?.levels.first?.accuracy
        return try SourceFactory.keyed("controller") {
            try AdaptiveRunner(model: model, options: config.runnerOptions(denseAccuracy: dense, board: board), board: board,
                               firstInferenceID: firstInferenceID)
        }
    }

    // MARK: Life cycle

    /// Starts the threads: source, inference, and the periodic persistence of level and counters.
    public func start() {
        lock.withLock { loopStarted = true }
        loop.start()
        recovery?.start()
        let interval = baseConfig.state.persistIntervalSeconds
        persisterEnded.enter()
        let t = Thread { [self] in
            while persistStop.wait(timeout: .now() + interval) == .timedOut { persistLevelAndCounters() }
            persisterEnded.leave()
        }
        t.name = "edgeprune-persist"
        t.start()
        logger.info("serving", metadata: ["model": "\(modelDescription)", "source": "\(loop.pipeline.source.name)",
                                          "level": "\(runner.model.activeLevel)", "config_version": "\(version)"])
    }

    /// Graceful stop: the inference in flight finishes, the level and counters are persisted.
    public func stop() {
        let (first, started) = lock.withLock {
            defer { stopping = true }
            return (!stopping, loopStarted)
        }
        guard first else { return }
        recovery?.stop()
        if started {
            // The persister's last write must not land after the final one below.
            persistStop.signal()
            persisterEnded.wait()
            loop.stop()
        }
        persistLevelAndCounters()
        logger.info("stopped", metadata: ["inferences": "\(loop.perform { $0.counters.inferences } ?? 0)"])
    }

    /// Level and cumulative counters into the state directory (atomic; failures are counted and
    /// logged, the daemon keeps running).
    func persistLevelAndCounters() {
        guard let (level, counters, nextID) = loop.perform(timeout: 2, { s in (s.runner.model.activeLevel, s.counters, s.runner.nextInferenceID) })
        else { return }
        let q = loop.queue.stats
        let totals = lock.withLock { () -> [String: UInt64] in
            var t = persisted
            t["inferences", default: 0] += counters.inferences
            t["dropped_windows", default: 0] += q.dropped
            t["inference_errors", default: 0] += counters.inferenceErrors
            t["next_inference_id"] = max(nextID, 1) - 1
            return t
        }
        do {
            try store.commit(StateUpdate(level: level, counters: totals))
        } catch {
            lock.withLock { persistFailures += 1 }
            metrics.addErrors(1, kind: "persist")
            logger.error("cannot persist the level and counters", metadata: ["error": "\(error)"])
        }
    }

    // MARK: DaemonControl

    public func health() -> DaemonHealth {
        let (isStopping, isStarted) = lock.withLock { (stopping, loopStarted) }
        if isStopping { return .unhealthy("stopping") }
        if !isStarted { return .unhealthy("starting") }
        if !loop.isRunning { return .unhealthy(loop.source.finished ? "the source has finished" : "the inference loop has ended") }
        return .ok
    }

    public func statusJSON() -> [UInt8] {
        let doc = loop.perform(timeout: 1) { [self] s in StatusDocument(service: self, state: s) }
            ?? StatusDocument(unavailable: "the inference thread did not answer within 1 s", service: self)
        return doc.json()
    }

    public func submitFeedback(_ labels: [FeedbackLabel]) -> FeedbackReport {
        let r = lock.withLock { runner }
        var accepted = 0
        for l in labels where r.feedback(id: l.id, label: l.label) { accepted += 1 }
        if let samples = recovery?.samples { for l in labels { samples.label(id: l.id, label: l.label) } }
        metrics.addFeedback(accepted: accepted, refused: labels.count - accepted)
        return FeedbackReport(accepted: accepted, refused: labels.count - accepted)
    }

    public func configVersion() -> UInt64 { lock.withLock { version } }

    public func applyConfig(_ document: [UInt8], version requested: UInt64?, origin: ConfigOrigin) -> ControlOutcome {
        updateLock.withLock {
            let (current, currentVersion, currentRunner) = lock.withLock { (config, version, runner) }
            let next: DaemonConfig
            do {
                next = try current.applyingRemoteOverlay(document, source: "the \(origin.rawValue) update")
            } catch {
                return .rejected("\(error)")
            }
            let newVersion = requested ?? currentVersion + 1
            guard newVersion > currentVersion else {
                return .rejected("config version \(newVersion) is not above the applied version \(currentVersion)")
            }
            // Build what changes before committing anything.
            let options = next.runnerOptions(denseAccuracy: currentRunner.model.graph.ladder?.levels.first?.accuracy, board: board)
            do { try options.validate(topLevel: currentRunner.model.topLevel) } catch { return .rejected("\(error)") }
            let persistedOverlay: [UInt8]
            do { persistedOverlay = try DaemonConfig.mergeRemoteOverlays(try store.readConfig(), document) } catch { return .rejected("\(error)") }
            var replacement: AdaptiveRunner? = nil
            if !Self.onlyBudgetsDiffer(currentRunner.options, options) {
                do {
                    replacement = try AdaptiveRunner(model: currentRunner.model, options: options, board: board)
                } catch {
                    return .rejected("\(error)")
                }
            }
            do {
                try store.setConfig(persistedOverlay, version: newVersion)
            } catch {
                return .failed("the config was valid but could not be persisted: \(error)")
            }
            let c = options.controller
            // Validated above, so the controller takes the budgets; nil only when the inference
            // thread did not get to it within 5 s (it then takes them before its next inference).
            let applied: Void? = loop.perform(timeout: 5) { s in
                if let replacement {
                    s.replaceRunner(replacement)
                } else {
                    _ = try? s.runner.controller.updateBudgets(latencyP95: c.latencyP95Budget, energy: c.energyBudget, power: c.powerBudget)
                }
            }
            lock.withLock {
                config = next
                version = newVersion
                if let replacement { runner = replacement }
            }
            LogLevelBox.shared.set(next.log.level)
            metrics.configVersion(newVersion)
            logger.notice("config applied", metadata: ["version": "\(newVersion)", "origin": "\(origin.rawValue)",
                                                       "controller_rebuilt": "\(replacement != nil)"])
            if applied == nil {
                logger.warning("the inference thread did not take the new config within 5 s; it takes it before its next inference")
            }
            return .applied("config version \(newVersion)")
        }
    }

    public func stagingDirectory() -> String { stagingPath }

    public func updateModel(stagedPath: String) -> ControlOutcome {
        installModel(stagedPath: stagedPath, expecting: nil, describe: { "uploaded model sha256 \($0.prefix(16))" })
    }

    /// The model-update path (an upload, a recovered model): load, build, health-check every
    /// level, persist (the commit point), swap in. `expecting`: refuse unless this model is the
    /// one running. Removes the staged file.
    private func installModel(stagedPath: String, expecting: AnyObject?, describe: @escaping (String) -> String) -> ControlOutcome {
        defer { unlink(stagedPath) }
        return updateLock.withLock {
            let (current, currentRunner) = lock.withLock { (config, runner) }
            if let expecting, currentRunner.model !== expecting {
                return .rejected("the running model changed while recovery trained; the result is discarded")
            }
            let graph: Graph
            do { graph = try ModelLoader.load(stagedPath) } catch { return .rejected("model: \(error)") }
            let model: AdaptiveModel, next: AdaptiveRunner
            do {
                let top = graph.ladder?.topLevel ?? 0
                model = try Self.model(graph, threads: current.model.threads, level: min(currentRunner.model.activeLevel, top))
                next = try Self.runner(model, config: current, board: board)
            } catch {
                return .rejected("model: \(error)")
            }
            guard next.inputCount == currentRunner.inputCount else {
                return .rejected("model: it takes \(next.inputCount) input values, the running pipeline makes windows of \(currentRunner.inputCount)")
            }
            if let problem = ModelHealthCheck.run(model, inputCount: next.inputCount) {
                logger.warning("uploaded model failed its health check; keeping the running model", metadata: ["problem": "\(problem)"])
                return .rolledBack("model health check failed: \(problem); the running model was kept")
            }
            do {
                try store.setModel(.file(stagedPath), level: model.activeLevel)
            } catch {
                return .failed("the model was valid but could not be persisted: \(error)")
            }
            let sha = store.current.model?.sha256 ?? "?"
            _ = loop.perform(timeout: 5) { $0.replaceRunner(next) }
            lock.withLock {
                runner = next
                modelDescription = describe(sha)
            }
            logger.notice("model replaced", metadata: ["sha256": "\(sha)", "levels": "\(model.topLevel + 1)"])
            return .applied("model sha256 \(sha), \(model.topLevel + 1) levels, level \(model.activeLevel)")
        }
    }

    public func metricsText() -> String { metrics.text() }

    /// Whether two runner option sets differ only in the controller's budgets (then the running
    /// controller takes the new budgets and keeps its monitors and profile table).
    static func onlyBudgetsDiffer(_ a: RunnerOptions, _ b: RunnerOptions) -> Bool {
        var x = a.controller, y = b.controller
        x.latencyP95Budget = nil; x.energyBudget = nil; x.powerBudget = nil
        y.latencyP95Budget = nil; y.energyBudget = nil; y.powerBudget = nil
        return x == y && a.shadowFraction == b.shadowFraction && a.labelMaxAge == b.labelMaxAge
    }

    // MARK: For the status document

    struct Snapshot {
        let config: DaemonConfig
        let version: UInt64
        let model: String
        let uptime: Double
        let startedAt: Double
        let persistFailures: Int
    }

    var snapshot: Snapshot {
        lock.withLock {
            Snapshot(config: config, version: version, model: modelDescription, uptime: DeviceClock.monotonicSeconds() - startedAt,
                     startedAt: started, persistFailures: persistFailures)
        }
    }
}
