import Dispatch
import EdgePruneCore
import EdgePruneDaemon
import Logging

/// Counters of the MQTT fleet channel, for /metrics and /status.
public struct FleetConfigCounters: Equatable, Sendable {
    /// Desired-config messages received (not counting cleared topics).
    public var received = 0
    /// Empty retained messages (an operator cleared a desired topic): ignored.
    public var cleared = 0
    /// The config already in force delivered again (a retained message after a reconnect or a
    /// restart): not applied, and not reported, so the retained reported state keeps saying
    /// "applied" for a device that is in sync.
    public var inSync = 0
    public var applied = 0
    /// Rejections by code: `unsigned`, `malformed`, `unknown-key`, `bad-signature`,
    /// `wrong-target`, `rollback` (verification), `invalid`, `rolled-back`, `failed` (the daemon).
    public var rejected: [String: Int] = [:]
    /// Sessions after the first (each one re-subscribes and gets the retained configs again).
    public var reconnects = 0
    public var connectFailures = 0
    public var connectionLosses = 0
    /// Reported-state and availability messages that could not be queued.
    public var publishFailures = 0
    /// Sink messages queued, and dropped (not connected, send queue full, refused).
    public var sinkPublished = 0
    public var sinkDropped = 0
    public var connected = false

    public var rejectedTotal: Int { rejected.values.reduce(0, +) }

    public init() {}
}

/// Fleet config over MQTT, device-shadow style (see `FleetTopics` and docs/mqtt.md).
///
/// On every session it publishes `online` (retained) on the availability topic, whose last will
/// is `offline` (retained), and subscribes to the device's and its groups' desired-config
/// topics. Each desired message is verified (`ConfigVerifier`: signature by a trusted fleet key,
/// target, version above the one in force) and only then handed to
/// `DaemonControl.applyConfig(_:version:origin: .mqtt)`; the outcome is published (retained) on
/// the reported topic. A rejected message changes nothing. Without a broker the daemon keeps
/// running on the config it has while the client reconnects in the background.
///
/// Messages are handled off the MQTT network thread, on a serial queue, one at a time, in arrival order.
public final class FleetConfigChannel: @unchecked Sendable {
    public let topics: FleetTopics
    public let clientID: String
    public let identity: DeviceIdentity

    let client: MQTTClient
    private let verifier: ConfigVerifier
    private let control: any DaemonControl
    private let logger: Logger
    private let lock = ConditionLock()
    /// Desired configs are verified, applied and reported here, one at a time in arrival order,
    /// not on the network thread: applying can take a while (the daemon persists with fsync and
    /// waits for its inference thread), and the network thread must keep up keepalives.
    private let updates = DispatchQueue(label: "edgeprune.mqtt.updates")
    private var counters_ = FleetConfigCounters()
    private var lastReport_: ReportedState?

    static let online: [UInt8] = Array("online".utf8)
    static let offline: [UInt8] = Array("offline".utf8)

    /// `trustedKeys`: the fleet public keys; nil loads `settings.fleetKeys` (PEM files). Throws
    /// a one-line error naming the key (`device.groups`, `mqtt.fleet_keys[0]`, `mqtt.port`)
    /// for anything invalid; nothing touches the network before `start()`.
    public init(settings: MQTTSettings, identity: DeviceIdentity, trustedKeys: [FleetPublicKey]? = nil,
                control: any DaemonControl, logger: Logger = Logger(label: "edgeprune.mqtt")) throws {
        guard ConfigTarget.isValidName(identity.device) else {
            throw EdgePruneError(.input, "device.id: '\(identity.device)' must be 1-64 characters of A-Z a-z 0-9 . _ -")
        }
        let groups = identity.groups.sorted()
        for g in groups where !ConfigTarget.isValidName(g) {
            throw EdgePruneError(.input, "device.groups: '\(g)' must be 1-64 characters of A-Z a-z 0-9 . _ -")
        }
        try settings.validate()
        let keys = try trustedKeys ?? Self.loadTrustedKeys(settings.fleetKeys)
        guard !keys.isEmpty else {
            throw EdgePruneError(.input, "mqtt.fleet_keys: at least one fleet public key is required to accept fleet configs")
        }
        self.identity = identity
        topics = FleetTopics(prefix: settings.topicPrefix, device: identity.device, groups: groups)
        clientID = settings.clientID ?? "edgeprune-\(identity.device)"
        verifier = ConfigVerifier(trustedKeys: keys, identity: identity)
        self.control = control
        self.logger = logger
        client = try MQTTClient(settings: settings, clientID: clientID,
                                will: MQTTMessage(topic: topics.availability, payload: Self.offline, qos: 1, retain: true),
                                logger: logger)
        for topic in topics.desired { try client.subscribe(topic, qos: 1) }
        client.setHandlers(.init(
            onConnect: { [weak self] in self?.didConnect() },
            onMessage: { [weak self] m in
                guard let channel = self else { return }
                channel.updates.async { channel.handleDesired(m) }
            }))
    }

    /// Loads PEM public keys; errors name the entry (`mqtt.fleet_keys[1]: ...`).
    public static func loadTrustedKeys(_ paths: [String]) throws -> [FleetPublicKey] {
        try paths.enumerated().map { i, path in
            do {
                return try FleetKeys.loadPublicKey(path)
            } catch let e as EdgePruneError {
                throw EdgePruneError(e.kind, "mqtt.fleet_keys[\(i)]: \(e.message)")
            }
        }
    }

    /// Starts connecting in the background; returns at once.
    public func start() throws {
        logger.info("MQTT fleet config for device '\(identity.device)' via \(client.settings.host):\(client.settings.port)",
                    metadata: ["topics": "\(topics.desired.joined(separator: ", "))"])
        try client.start()
    }

    /// Publishes `offline` (retained) if connected, disconnects cleanly and joins the network
    /// thread. Idempotent.
    public func stop() {
        if client.isConnected {
            let r = client.publish(MQTTMessage(topic: topics.availability, payload: Self.offline, qos: 1, retain: true))
            if r != .queued { lock.withLock { counters_.publishFailures += 1 } }
        }
        client.stop()
        client.setHandlers(.init())
        updates.sync {}  // an update in progress finishes before stop returns
    }

    /// For the daemon's MQTT sink: queues one message; never blocks. Returns false, and counts a
    /// drop, when it cannot be queued (not connected, send queue full, refused).
    @discardableResult
    public func publish(topic: String, payload: [UInt8], qos: Int, retain: Bool = false) -> Bool {
        let result = client.publish(MQTTMessage(topic: topic, payload: payload, qos: qos, retain: retain))
        lock.withLock {
            if result == .queued { counters_.sinkPublished += 1 } else { counters_.sinkDropped += 1 }
        }
        return result == .queued
    }

    public var isConnected: Bool { client.isConnected }

    public var counters: FleetConfigCounters {
        let stats = client.stats
        var c = lock.withLock { counters_ }
        c.reconnects = stats.reconnects
        c.connectFailures = stats.connectFailures
        c.connectionLosses = stats.connectionLosses
        c.connected = client.isConnected
        return c
    }

    /// The last reported state this process published (nil before the first desired message).
    public var lastReport: ReportedState? { lock.withLock { lastReport_ } }

    /// The client's own counters and last connection error.
    public var clientStats: MQTTClientStats { client.stats }

    // MARK: Network thread

    private func didConnect() {
        let r = client.publish(MQTTMessage(topic: topics.availability, payload: Self.online, qos: 1, retain: true))
        if r != .queued {
            lock.withLock { counters_.publishFailures += 1 }
            logger.warning("MQTT: cannot publish 'online' on \(topics.availability): \(r)")
        }
    }

    func handleDesired(_ message: MQTTMessage) {
        guard topics.desired.contains(message.topic) else {
            logger.debug("MQTT: ignoring a message on '\(message.topic)', not a desired-config topic of this device")
            return
        }
        guard !message.payload.isEmpty else {
            lock.withLock { counters_.cleared += 1 }
            logger.info("MQTT: the desired config on '\(message.topic)' was cleared; keeping the config in force")
            return
        }
        lock.withLock { counters_.received += 1 }
        let current = control.configVersion()
        let report: ReportedState
        do {
            let verified = try verifier.verify(message.payload, currentVersion: current)
            report = apply(verified, from: message.topic)
        } catch {
            if case .rollback(let v, let c) = error, v == c {
                // The config in force, delivered again (a retained message after a reconnect).
                lock.withLock { counters_.inSync += 1 }
                logger.info("MQTT: config version \(v) from '\(message.topic)' is the one in force; in sync")
                return
            }
            lock.withLock { counters_.rejected[error.code, default: 0] += 1 }
            logger.warning("MQTT: \(error) (from '\(message.topic)')")
            report = ReportedState(status: .rejected, version: current, code: error.code,
                                   reason: error.description, topic: message.topic)
        }
        publishReport(report)
    }

    private func apply(_ verified: VerifiedConfig, from topic: String) -> ReportedState {
        let outcome = control.applyConfig(Array(verified.config.utf8), version: verified.version, origin: .mqtt)
        let code: String, why: String
        switch outcome {
        case .applied(let detail):
            lock.withLock { counters_.applied += 1 }
            logger.notice("MQTT: applied config version \(verified.version) for \(verified.target) from '\(topic)': \(detail)")
            return ReportedState(status: .applied, version: verified.version, detail: detail, topic: topic)
        case .rejected(let w): (code, why) = ("invalid", w)
        case .rolledBack(let w): (code, why) = ("rolled-back", w)
        case .failed(let w): (code, why) = ("failed", w)
        }
        lock.withLock { counters_.rejected[code, default: 0] += 1 }
        let reason = "config version \(verified.version) not applied (\(code)): \(why)"
        logger.warning("MQTT: \(reason) (from '\(topic)')")
        return ReportedState(status: .rejected, version: control.configVersion(), code: code, reason: reason, topic: topic)
    }

    private func publishReport(_ report: ReportedState) {
        lock.withLock { lastReport_ = report }
        let r = client.publish(MQTTMessage(topic: topics.reported, payload: report.json, qos: 1, retain: true))
        if r != .queued {
            lock.withLock { counters_.publishFailures += 1 }
            logger.warning("MQTT: cannot publish the reported state on \(topics.reported): \(r)")
        }
    }
}
