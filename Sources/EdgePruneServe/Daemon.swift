import EdgePruneCore
import EdgePruneDaemon
import EdgePruneDevice
import EdgePruneHTTP
import EdgePruneMQTT
import Foundation
import Logging
import ServiceLifecycle

/// `edgeprune serve`: loads and validates the config, opens the state directory, starts the
/// inference loop, the HTTP control API and the MQTT fleet channel, tells systemd (READY,
/// STATUS, WATCHDOG, STOPPING), and on SIGTERM or SIGINT shuts down gracefully: the inference in
/// flight finishes, MQTT says offline, the level and counters are persisted.
public enum Daemon {
    /// Runs until SIGTERM or SIGINT. Throws a one-line error for anything invalid at start.
    public static func run(configPath: String, environment: [String: String] = ProcessInfo.processInfo.environment) async throws {
        let config = try DaemonConfig.load(path: configPath, environment: environment)
        JournalLogHandler.bootstrap(level: config.log.level)
        let logger = Logger(label: "edgeprune")
        let relay = PublishRelay()
        let publish: ((String, [UInt8]) -> Bool)? = config.mqtt.enabled ? { relay.publish($0, $1) } : nil
        let service = try DaemonService(config: config, logger: logger, publish: publish)
        var http: ControlServer? = nil
        if config.http.enabled {
            guard let tokenFile = config.http.tokenFile else {
                throw EdgePruneError(.input, "config: http.token_file is required when http.enabled is true")
            }
            let token = try SourceFactory.keyed("http.token_file") { try BearerToken.load(path: tokenFile) }
            http = try ControlServer(settings: HTTPSettings(bindAddress: config.http.bind, port: config.http.port, token: token,
                                                             maxBodyBytes: config.http.maxBodyBytes, maxModelBytes: config.http.maxModelBytes),
                                     control: service, logger: Logger(label: "edgeprune.http"))
        }
        var channel: FleetConfigChannel? = nil
        if config.mqtt.enabled {
            var settings = config.mqtt
            settings.clientID = config.mqttClientID
            let c = try FleetConfigChannel(settings: settings, identity: DeviceIdentity(device: config.device.id, groups: Set(config.device.groups)),
                                           control: service, logger: Logger(label: "edgeprune.mqtt"))
            relay.target = { topic, payload in c.publish(topic: topic, payload: payload, qos: 0) }
            channel = c
        }
        let notifier = try SystemdNotifier(environment: environment)
        service.start()
        try channel?.start()
        var services: [any Service] = []
        if let http { services.append(HTTPService(server: http)) }
        services.append(SupervisorService(service: service, channel: channel, http: http, notifier: notifier, logger: logger))
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        do {
            try await group.run()
        } catch {
            channel?.stop()
            service.stop()
            throw error
        }
    }
}

/// The MQTT sink's publish, bound once the MQTT channel exists (it needs the service first).
final class PublishRelay: @unchecked Sendable {
    private let lock = NSLock()
    private var target_: ((String, [UInt8]) -> Bool)?
    var target: ((String, [UInt8]) -> Bool)? {
        get { lock.withLock { target_ } }
        set { lock.withLock { target_ = newValue } }
    }

    func publish(_ topic: String, _ payload: [UInt8]) -> Bool { target?(topic, payload) ?? false }
}

/// The HTTP server as a lifecycle service.
struct HTTPService: Service {
    let server: ControlServer
    func run() async throws { try await server.run() }
}

/// Tells systemd how the daemon is doing and carries out the graceful shutdown.
struct SupervisorService: Service {
    let service: DaemonService
    let channel: FleetConfigChannel?
    let http: ControlServer?
    let notifier: SystemdNotifier?
    let logger: Logger

    func run() async throws {
        if let http { _ = try await http.listeningPort() }
        notifier?.ready(status: statusLine())
        logger.info("ready", metadata: ["http_port": "\(http?.boundPort.map(String.init) ?? "off")", "mqtt": "\(channel != nil ? "on" : "off")"])
        // Ping the watchdog at half its interval, and only while the inference thread answers
        // between two inferences (a wedged inference stops the pings and systemd restarts us).
        let tick = min(1.0, (notifier?.watchdogInterval ?? 2) / 2)
        var lastStatus = DeviceClock.monotonicSeconds()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(tick * 1e9))
            if let notifier {
                let loop = service.loop!
                let alive = await Self.offPool { loop.perform(timeout: tick / 2) { _ in true } ?? false }
                if alive || !service.loop.isRunning { notifier.watchdog() }
                if DeviceClock.monotonicSeconds() - lastStatus >= 5 {
                    notifier.status(statusLine())
                    lastStatus = DeviceClock.monotonicSeconds()
                }
            }
        }
        notifier?.stopping()
        logger.info("shutting down")
        channel?.stop()
        service.stop()
    }

    /// Runs blocking work on a dispatch thread, keeping the cooperative pool free.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in DispatchQueue.global().async { c.resume(returning: body()) } }
    }

    private func statusLine() -> String {
        let line = service.loop.perform(timeout: 0.5) { s -> String in
            let st = s.runner.status()
            let p95 = st.latency.map { String(format: "%.3f ms", $0.p95 * 1e3) } ?? "-"
            return "level \(st.level), p95 \(p95), \(s.counters.inferences) inferences"
        }
        return line ?? "serving"
    }
}
