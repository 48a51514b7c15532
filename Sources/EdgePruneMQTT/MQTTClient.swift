#if canImport(Glibc)
import EdgePruneDaemon
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMosquitto
import EdgePruneCore
import EdgePruneDevice
import Logging

/// One MQTT message, received or to publish.
public struct MQTTMessage: Equatable, Sendable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: Int
    public var retain: Bool

    public init(topic: String, payload: [UInt8], qos: Int = 0, retain: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}

/// What became of a publish request. Publishing never blocks: the message is queued for the
/// network thread or refused at once.
public enum MQTTPublishResult: Equatable, Sendable {
    case queued
    /// No session with the broker (connecting, backing off, stopped): nothing was queued.
    case notConnected
    /// More than `maxQueuedPublishes` messages wait for the network: nothing was queued.
    case queueFull
    /// libmosquitto refused it (bad topic, QoS, payload size): the one-line reason.
    case failed(String)
}

/// Counters of an MQTTClient since it was made.
public struct MQTTClientStats: Equatable, Sendable {
    /// Sessions established (CONNACK accepted).
    public var connects = 0
    /// Connection attempts that ended before a session (refused, unreachable, TLS, CONNACK refused).
    public var connectFailures = 0
    /// Sessions that ended without `stop()` (broker gone, network down, keepalive timeout).
    public var connectionLosses = 0
    public var messagesReceived = 0
    /// Messages handed to libmosquitto.
    public var published = 0
    /// Publish requests refused (`notConnected`, `queueFull`, `failed`).
    public var publishFailures = 0
    /// The last connection problem, one line (nil until there is one).
    public var lastError: String?

    /// Sessions after the first.
    public var reconnects: Int { max(0, connects - 1) }

    public init() {}
}

/// A thin, thread-safe client over libmosquitto with its own network thread.
///
/// - `start()` returns at once; the network thread connects, reconnects with exponential
///   back-off (`reconnect_min_seconds` doubling up to `reconnect_max_seconds`, with jitter) for as
///   long as the client runs, and re-subscribes to every `subscribe`d filter on each new session
///   (sessions are clean: retained messages are delivered again after a reconnect).
/// - The handlers run on the network thread, one at a time, in order; keep them short.
/// - `publish` may be called from any thread and never blocks.
/// - `stop()` ends the session with a DISCONNECT (so the broker discards the last will) and
///   joins the network thread. A stopped client cannot be restarted.
///
/// The loop is ours rather than `mosquitto_loop_start`'s, because libmosquitto's own loop gives
/// up for good on some errors a daemon must outlive (a DNS lookup or TLS failure while the
/// network comes up at boot), and its "exponential" back-off grows quadratically.
public final class MQTTClient: @unchecked Sendable {
    public struct Handlers: Sendable {
        /// A session began (subscriptions are already re-sent).
        public var onConnect: (@Sendable () -> Void)?
        /// An established session ended without `stop()`; the reason is one line.
        public var onDisconnect: (@Sendable (_ reason: String) -> Void)?
        public var onMessage: (@Sendable (MQTTMessage) -> Void)?

        public init(onConnect: (@Sendable () -> Void)? = nil,
                    onDisconnect: (@Sendable (_ reason: String) -> Void)? = nil,
                    onMessage: (@Sendable (MQTTMessage) -> Void)? = nil) {
            self.onConnect = onConnect
            self.onDisconnect = onDisconnect
            self.onMessage = onMessage
        }
    }

    public let settings: MQTTSettings
    public let clientID: String
    public let maxQueuedPublishes: Int
    let logger: Logger

    /// How long `stop()` lets the network thread flush queued messages and the DISCONNECT.
    static let stopDrainSeconds = 2.0
    /// A session that lasted this long resets the back-off to `reconnect_min_seconds`.
    static let stableSessionSeconds = 10.0

    private static let libraryReady: Int32 = mosquitto_lib_init()

    private var mosq: OpaquePointer?
    private let lock = ConditionLock()
    private let backoff: ReconnectBackoff
    private var endpoint: String { "\(settings.host):\(settings.port)" }

    // Under `lock`:
    private var handlers = Handlers()
    private var subscriptions: [(filter: String, qos: Int32)] = []
    private var stats_ = MQTTClientStats()
    private var connected = false
    private var sessionEstablished = false
    private var sessionStart = 0.0
    private var sessionFailure: String?
    /// The first error libmosquitto logged during this connection attempt (OpenSSL's reason for
    /// a TLS failure, for one), appended to the failure message.
    private var sessionLibraryError: String?
    private var queuedPublishes = 0
    /// Failed attempts since the last session (for the log line of the next one).
    private var failureStreak = 0
    private var state = RunState.idle
    private var thread: NativeThread?

    private enum RunState { case idle, running, stopping, stopped }

    /// Validates `settings` (errors name the key) and prepares the connection; nothing touches
    /// the network before `start()`. `will`: the last will the broker publishes if the session
    /// ends without a DISCONNECT.
    public init(settings: MQTTSettings, clientID: String, will: MQTTMessage? = nil,
                maxQueuedPublishes: Int = 1000, logger: Logger = Logger(label: "edgeprune.mqtt")) throws {
        try settings.validate()
        guard !clientID.isEmpty, clientID.utf8.count <= 65535, !clientID.utf8.contains(0) else {
            throw EdgePruneError(.input, "mqtt.client_id: must be 1-65535 bytes of UTF-8 without NUL")
        }
        guard maxQueuedPublishes >= 1 else {
            throw EdgePruneError(.input, "MQTT client: maxQueuedPublishes must be at least 1, got \(maxQueuedPublishes)")
        }
        let password = try settings.readPassword()
        self.settings = settings
        self.clientID = clientID
        self.maxQueuedPublishes = maxQueuedPublishes
        self.logger = logger
        backoff = ReconnectBackoff(minSeconds: settings.reconnectMinSeconds, maxSeconds: settings.reconnectMaxSeconds)

        guard Self.libraryReady == MosquittoErrors.success else {
            throw EdgePruneError(.io, "libmosquitto failed to initialise: \(MosquittoErrors.describe(Self.libraryReady, errno: errno))")
        }
        guard let handle = mosquitto_new(clientID, true, Unmanaged.passUnretained(self).toOpaque()) else {
            throw EdgePruneError(.io, "MQTT client: mosquitto_new failed: \(String(cString: strerror(errno)))")
        }
        mosq = handle
        try check(mosquitto_threaded_set(handle, true), "cannot enable threaded mode")

        if let user = settings.username {
            try check(mosquitto_username_pw_set(handle, user, password), "mqtt.username: libmosquitto refused the credentials")
        }
        if let tls = settings.tls { try configureTLS(tls, on: handle) }
        if let will {
            try Self.checkPublishTopic(will.topic)
            let rc = will.payload.withUnsafeBytes { raw in
                mosquitto_will_set(handle, will.topic, Int32(raw.count), raw.baseAddress, Int32(will.qos), will.retain)
            }
            try check(rc, "cannot set the last will on '\(will.topic)'")
        }

        mosquitto_connect_callback_set(handle) { _, context, rc in
            MQTTClient.from(context)?.didConnect(rc)
        }
        mosquitto_disconnect_callback_set(handle) { _, context, rc in
            let savedErrno = errno
            MQTTClient.from(context)?.didDisconnect(rc, errno: savedErrno)
        }
        mosquitto_message_callback_set(handle) { _, context, message in
            guard let client = MQTTClient.from(context), let m = message?.pointee else { return }
            let payload: [UInt8]
            if let p = m.payload, m.payloadlen > 0 {
                payload = Array(UnsafeRawBufferPointer(start: p, count: Int(m.payloadlen)))
            } else {
                payload = []
            }
            client.didReceive(MQTTMessage(topic: m.topic.map { String(cString: $0) } ?? "",
                                          payload: payload, qos: Int(m.qos), retain: m.retain))
        }
        mosquitto_publish_callback_set(handle) { _, context, _ in
            MQTTClient.from(context)?.didPublish()
        }
        mosquitto_log_callback_set(handle) { _, context, level, text in
            guard let client = MQTTClient.from(context), let text else { return }
            client.libraryLog(level, String(cString: text))
        }
    }

    deinit {
        if let mosq { mosquitto_destroy(mosq) }
    }

    private static func from(_ context: UnsafeMutableRawPointer?) -> MQTTClient? {
        context.map { Unmanaged<MQTTClient>.fromOpaque($0).takeUnretainedValue() }
    }

    private func check(_ rc: Int32, _ what: String) throws {
        guard rc != MosquittoErrors.success else { return }
        throw EdgePruneError(.input, "MQTT client: \(what): \(MosquittoErrors.describe(rc, errno: errno))")
    }

    private func configureTLS(_ tls: DaemonConfig.TLS, on handle: OpaquePointer) throws {
        if tls.caFile == nil {
            try check(mosquitto_int_option(handle, MOSQ_OPT_TLS_USE_OS_CERTS, 1), "mqtt.tls: cannot use the system CA store")
        }
        // A key file that needs a passphrase fails instead of prompting on the terminal.
        let rc = mosquitto_tls_set(handle, tls.caFile, nil, tls.certFile, tls.keyFile) { _, _, _, _ in 0 }
        try check(rc, "mqtt.tls: libmosquitto refused the TLS files")
        if tls.insecure {
            try check(mosquitto_tls_insecure_set(handle, true), "mqtt.tls.insecure")
            logger.warning("mqtt.tls.insecure is set: the broker's certificate is not checked against the host name \(settings.host)")
        }
    }

    /// Throws unless `topic` is a valid topic to publish to (no wildcards, valid UTF-8).
    public static func checkPublishTopic(_ topic: String) throws {
        let rc = mosquitto_pub_topic_check(topic)
        guard rc == MosquittoErrors.success, !topic.isEmpty else {
            throw EdgePruneError(.input, "'\(topic)' is not a topic to publish to (empty, a wildcard + or #, or not UTF-8)")
        }
    }

    // MARK: Public interface

    /// Replaces the handlers; safe at any time (a callback in progress finishes with the old ones).
    public func setHandlers(_ handlers: Handlers) {
        lock.withLock { self.handlers = handlers }
    }

    /// Subscribes to `filter` now if connected, and on every later session.
    public func subscribe(_ filter: String, qos: Int = 1) throws {
        guard mosquitto_sub_topic_check(filter) == MosquittoErrors.success, !filter.isEmpty else {
            throw EdgePruneError(.input, "'\(filter)' is not a topic filter")
        }
        guard (0...2).contains(qos) else { throw EdgePruneError(.input, "MQTT QoS must be 0, 1 or 2, got \(qos)") }
        let sendNow = lock.withLock { () -> Bool in
            subscriptions.append((filter, Int32(qos)))
            return connected
        }
        if sendNow { sendSubscription(filter, qos: Int32(qos)) }
    }

    /// Queues a message for the broker; never blocks. QoS 0, 1 or 2.
    @discardableResult
    public func publish(_ message: MQTTMessage) -> MQTTPublishResult {
        guard (0...2).contains(message.qos) else {
            return refusePublish(.failed("MQTT QoS must be 0, 1 or 2, got \(message.qos)"))
        }
        let admitted = lock.withLock { () -> MQTTPublishResult in
            guard connected, let _ = mosq else { stats_.publishFailures += 1; return .notConnected }
            guard queuedPublishes < maxQueuedPublishes else { stats_.publishFailures += 1; return .queueFull }
            queuedPublishes += 1
            return .queued
        }
        guard admitted == .queued, let mosq else { return admitted }
        let rc = message.payload.withUnsafeBytes { raw in
            mosquitto_publish(mosq, nil, message.topic, Int32(raw.count), raw.baseAddress, Int32(message.qos), message.retain)
        }
        let savedErrno = errno
        if rc == MosquittoErrors.success {
            lock.withLock { stats_.published += 1 }
            return .queued
        }
        let why = "publish to '\(message.topic)' failed: \(MosquittoErrors.describe(rc, errno: savedErrno))"
        lock.withLock {
            queuedPublishes = max(0, queuedPublishes - 1)
            stats_.publishFailures += 1
        }
        // Not being connected is the common case, and a counted one; anything else is worth a line.
        if rc == Int32(MOSQ_ERR_NO_CONN.rawValue) { return .notConnected }
        logger.warning("\(why)")
        return .failed(why)
    }

    private func refusePublish(_ result: MQTTPublishResult) -> MQTTPublishResult {
        lock.withLock { stats_.publishFailures += 1 }
        return result
    }

    /// Starts the network thread (it connects in the background). Throws if already started.
    public func start() throws {
        try lock.withLock {
            guard state == .idle else {
                throw EdgePruneError(.input, "MQTT client '\(clientID)' was already started (a stopped client cannot be restarted)")
            }
            state = .running
        }
        do {
            let t = try NativeThread("the MQTT network thread") { [self] in self.run() }
            lock.withLock { thread = t }
        } catch {
            lock.withLock { state = .stopped }
            throw error
        }
    }

    /// Ends the session cleanly (queued messages are flushed first, for up to 2 s) and joins the
    /// network thread. Idempotent; safe from any thread, a handler included (then it does not
    /// wait for the thread).
    public func stop() {
        // Only one caller takes the thread to join it.
        let t = lock.withLock { () -> NativeThread? in
            if state == .idle { state = .stopped; return nil }
            if state == .running { state = .stopping }
            lock.broadcast()  // wakes a reconnect back-off sleep
            defer { thread = nil }
            return thread
        }
        if let mosq {
            _ = mosquitto_disconnect(mosq)  // wakes the network thread; harmless when not connected
        }
        guard let t else { return }
        if t.isCurrent { t.detach() } else { t.join() }
    }

    public var isConnected: Bool { lock.withLock { connected } }

    public var stats: MQTTClientStats { lock.withLock { stats_ } }

    // MARK: Network thread

    private var isStopping: Bool { lock.withLock { state != .running } }

    private func run() {
        guard let mosq else { return }
        var attempt = 0
        while !isStopping {
            lock.withLock {
                sessionEstablished = false
                sessionFailure = nil
                sessionLibraryError = nil
            }
            var rc = mosquitto_connect_async(mosq, settings.host, Int32(settings.port), Int32(settings.keepaliveSeconds))
            var savedErrno = errno
            if rc == MosquittoErrors.success {
                (rc, savedErrno) = serviceSession(mosq)
                // libmosquitto reports the end of a session through on_disconnect; should a loop
                // error end it without that callback, end it here so `connected` never lies.
                if lock.withLock({ connected }) {
                    didDisconnect(rc == MosquittoErrors.success ? Int32(MOSQ_ERR_CONN_LOST.rawValue) : rc, errno: savedErrno)
                }
            }
            if isStopping { break }

            let (established, failure, detail, uptime) = lock.withLock { () -> (Bool, String?, String?, Double) in
                (sessionEstablished, sessionFailure, sessionLibraryError, DeviceClock.monotonicSeconds() - sessionStart)
            }
            if established {
                if uptime >= Self.stableSessionSeconds { attempt = 0 }
            } else {
                let why = (failure ?? MosquittoErrors.describe(rc, errno: savedErrno)) + (detail.map { " (\($0))" } ?? "")
                let message = "cannot connect to the MQTT broker at \(endpoint): \(why)"
                let (previous, streak) = lock.withLock { () -> (String?, Int) in
                    stats_.connectFailures += 1
                    failureStreak += 1
                    defer { stats_.lastError = message }
                    return (stats_.lastError, failureStreak)
                }
                if streak == 1 || previous != message {
                    logger.warning("\(message); retrying with back-off up to \(settings.reconnectMaxSeconds) s")
                } else {
                    logger.debug("\(message) (attempt \(streak))")
                }
            }
            let delay = backoff.randomDelay(attempt: attempt)
            attempt += 1
            logger.debug("MQTT reconnect in \(format3(delay)) s")
            lock.wait(seconds: delay) { state != .running }
        }
        lock.withLock {
            connected = false
            state = .stopped
        }
    }

    /// Runs the session opened by connect_async until it ends; returns the last result code.
    private func serviceSession(_ mosq: OpaquePointer) -> (Int32, Int32) {
        var drainDeadline: Double?
        var disconnectSent = false
        while true {
            if isStopping {
                let now = DeviceClock.monotonicSeconds()
                if drainDeadline == nil { drainDeadline = now + Self.stopDrainSeconds }
                if !disconnectSent {
                    disconnectSent = true
                    if mosquitto_disconnect(mosq) == Int32(MOSQ_ERR_NO_CONN.rawValue) { return (MosquittoErrors.success, 0) }
                }
                if now >= drainDeadline! {
                    logger.warning("MQTT stop: the broker at \(endpoint) did not take the DISCONNECT within \(Self.stopDrainSeconds) s")
                    return (MosquittoErrors.success, 0)
                }
            }
            let rc = mosquitto_loop(mosq, isStopping ? 100 : 1000, 1)
            let savedErrno = errno
            if rc != MosquittoErrors.success { return (rc, savedErrno) }
        }
    }

    // MARK: libmosquitto callbacks (on the network thread)

    private func didConnect(_ rc: Int32) {
        guard rc == 0 else {
            lock.withLock { sessionFailure = MosquittoErrors.connack(rc) }
            return
        }
        let (subs, handler, failures) = lock.withLock { () -> ([(filter: String, qos: Int32)], (@Sendable () -> Void)?, Int) in
            connected = true
            sessionEstablished = true
            sessionStart = DeviceClock.monotonicSeconds()
            queuedPublishes = 0
            stats_.connects += 1
            defer { failureStreak = 0 }
            return (subscriptions, handlers.onConnect, failureStreak)
        }
        logger.info("MQTT connected to \(endpoint) as '\(clientID)'\(failures > 0 ? " after \(failures) failed attempts" : "")")
        for s in subs { sendSubscription(s.filter, qos: s.qos) }
        handler?()
    }

    private func didDisconnect(_ rc: Int32, errno savedErrno: Int32) {
        let reason = rc == 0 ? "disconnected"
            : rc == Int32(MOSQ_ERR_CONN_LOST.rawValue) ? "the connection was closed"
            : MosquittoErrors.describe(rc, errno: savedErrno)
        let (wasConnected, stopping, handler) = lock.withLock { () -> (Bool, Bool, (@Sendable (String) -> Void)?) in
            let was = connected
            connected = false
            let stopping = state != .running
            if was && !stopping {
                stats_.connectionLosses += 1
                stats_.lastError = "lost the connection to the MQTT broker at \(endpoint): \(reason)"
            } else if !was && sessionFailure == nil && rc != 0 {
                sessionFailure = reason
            }
            return (was, stopping, handlers.onDisconnect)
        }
        guard wasConnected else { return }
        if stopping {
            logger.info("MQTT disconnected from \(endpoint)")
        } else {
            logger.warning("lost the connection to the MQTT broker at \(endpoint): \(reason); reconnecting")
            handler?(reason)
        }
    }

    private func didReceive(_ message: MQTTMessage) {
        let handler = lock.withLock { () -> (@Sendable (MQTTMessage) -> Void)? in
            stats_.messagesReceived += 1
            return handlers.onMessage
        }
        handler?(message)
    }

    private func didPublish() {
        lock.withLock { queuedPublishes = max(0, queuedPublishes - 1) }
    }

    private func sendSubscription(_ filter: String, qos: Int32) {
        guard let mosq else { return }
        let rc = mosquitto_subscribe(mosq, nil, filter, qos)
        if rc != MosquittoErrors.success {
            logger.warning("MQTT subscribe to '\(filter)' failed: \(MosquittoErrors.describe(rc, errno: errno))")
        }
    }

    private func libraryLog(_ level: Int32, _ text: String) {
        if level & Int32(MOSQ_LOG_ERR) != 0 {
            let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
            lock.withLock { if sessionLibraryError == nil { sessionLibraryError = line } }
        }
        if level & (Int32(MOSQ_LOG_ERR) | Int32(MOSQ_LOG_WARNING)) != 0 {
            logger.debug("libmosquitto: \(text)")
        } else {
            logger.trace("libmosquitto: \(text)")
        }
    }

    // MARK: Test hooks

    /// Shuts the socket down under libmosquitto's feet, as a network failure would (the broker
    /// then publishes the last will). For tests.
    func dropConnectionForTesting() {
        guard let mosq else { return }
        let fd = mosquitto_socket(mosq)
        if fd >= 0 { _ = shutdown(fd, Int32(SHUT_RDWR)) }
    }
}
