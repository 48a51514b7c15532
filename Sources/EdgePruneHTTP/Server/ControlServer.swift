import EdgePruneCore
import EdgePruneDaemon
import Hummingbird
import Logging
import ServiceLifecycle

/// The daemon's HTTP control API (Hummingbird 2, HTTP/1.1), over a `DaemonControl`.
///
/// Two ways to run it, one per server instance:
/// - as a service: `try await server.run()` runs until its task is cancelled or, inside a
///   swift-service-lifecycle `ServiceGroup`, until the group shuts down gracefully (the
///   Hummingbird application runs its own nested group, which follows its parent's graceful
///   shutdown). Wrap it in a `Service` whose `run()` calls this.
/// - programmatically (tests, tools): `let port = try await server.start()`, then
///   `await server.stop()`.
/// Either way ``listeningPort()`` waits until the socket is bound and returns the actual port
/// (useful with port 0), and ``boundPort`` reads it without waiting.
///
/// Routes, auth and limits: docs/http-api.md.
public final class ControlServer: Sendable {
    public let settings: HTTPSettings
    private let application: Application<ControlResponder>
    private let startup: Startup
    private let logger: Logger
    /// The group `start()` runs the application in, and its task; `stop()` shuts it down gracefully.
    private let runner = Locked<(group: ServiceGroup, task: Task<Void, Never>)?>(nil)

    /// Validates the settings (errors name the `http.*` key) and prepares the server; nothing
    /// listens until `run()` or `start()`.
    public init(settings: HTTPSettings, control: any DaemonControl,
                logger: Logger = Logger(label: "edgeprune.http")) throws {
        try settings.validate()
        self.settings = settings
        self.logger = logger
        let startup = Startup()
        self.startup = startup
        let responder = ControlResponder(
            routes: ControlRoutes(control: control, settings: settings, work: BlockingWork()),
            token: settings.token, logger: logger)
        application = Application(
            responder: responder,
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(settings.idleTimeoutSeconds)))),
            configuration: ApplicationConfiguration(
                address: .hostname(settings.bindAddress, port: settings.port),
                serverName: nil),
            onServerRunning: { channel in
                startup.resolve(.success(channel.localAddress?.port ?? settings.port))
            },
            logger: logger)
    }

    /// The port the server listens on, once it does (nil before, and after a failed start).
    public var boundPort: Int? { startup.port }

    /// Waits until the server listens and returns its port; throws if it failed to start (the
    /// address is in use, say).
    public func listeningPort() async throws -> Int { try await startup.wait() }

    /// Runs the server until cancelled or shut down gracefully (see the type's documentation).
    /// Throws if it cannot bind or fails while running.
    public func run() async throws {
        do {
            try await application.run()
        } catch {
            // Before it listened (a bind failure), say which config keys to look at.
            guard startup.port == nil else { throw error }
            let startError = Self.startError(error, settings)
            startup.resolve(.failure(startError))
            throw startError
        }
        startup.resolve(.failure(EdgePruneError(.io, "the HTTP server stopped before it listened")))
    }

    /// Starts the server in a service group of its own and returns once it listens, with the
    /// bound port.
    public func start() async throws -> Int {
        let group = ServiceGroup(services: [RunService(server: self)], logger: logger)
        let alreadyStarted = runner.withLock { current -> Bool in
            if current != nil { return true }
            current = (group, Task { do { try await group.run() } catch {} })
            return false
        }
        if alreadyStarted { throw EdgePruneError(.input, "the HTTP control server was already started") }
        return try await listeningPort()
    }

    /// Stops a server started with `start()` gracefully (as SIGTERM does for the daemon): stops
    /// listening, lets requests in flight finish, closes the connections, and returns when it
    /// has stopped. Does nothing if it was not started.
    public func stop() async {
        guard let (group, task) = runner.withLock({ $0 }) else { return }
        await group.triggerGracefulShutdown()
        await task.value
    }

    private struct RunService: Service {
        let server: ControlServer
        func run() async throws { try await server.run() }
    }

    private static func startError(_ error: any Error, _ settings: HTTPSettings) -> EdgePruneError {
        EdgePruneError(.io, "http: cannot serve on \(settings.bindAddress):\(settings.port) (http.bind, http.port): \(error)")
    }
}

/// Resolves once, with the bound port or the reason the server did not start.
final class Startup: Sendable {
    private struct State {
        var result: Result<Int, any Error>?
        var waiters: [CheckedContinuation<Int, any Error>] = []
    }
    private let state = Locked(State())

    var port: Int? {
        state.withLock { s in if case .success(let port)? = s.result { return port } else { return nil } }
    }

    func resolve(_ result: Result<Int, any Error>) {
        let waiters = state.withLock { s -> [CheckedContinuation<Int, any Error>] in
            guard s.result == nil else { return [] }
            s.result = result
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    func wait() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let result = state.withLock { s -> Result<Int, any Error>? in
                if let result = s.result { return result }
                s.waiters.append(continuation)
                return nil
            }
            if let result { continuation.resume(with: result) }
        }
    }
}
