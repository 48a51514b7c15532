import EdgePruneCore

/// The daemon's config file (`edgeprune serve --config FILE`): YAML, or JSON (which is YAML).
/// docs/config.md is the reference for every key; boards/*.yaml are examples.
///
/// Reading a document (`load`, `parse`) checks everything a config can be checked for without
/// the model and the hardware: unknown keys, types, ranges, exactly one source kind, settings
/// that need each other, and (unless `ParseOptions.checkFiles` is off) that the files it names
/// exist and are readable. Every error is one line naming the key path and where the value came
/// from (`config: budgets.latency_p95_ms must be a number > 0, got -3 (line 12)`), and nothing
/// is returned unless all of it is valid.
///
/// Remote updates are overlays (`applyingRemoteOverlay`): only `budgets`, `controller` and `log`,
/// merged onto the running config and validated as a whole before they apply.
public struct DaemonConfig: Sendable, Equatable {
    public var device: Device
    public var model: Model
    public var source: Source
    public var window: Window
    public var queue: Queue
    public var budgets: Budgets
    public var controller: Controller
    public var sinks: [Sink]
    public var http: HTTP
    public var mqtt: MQTT
    public var state: State
    public var log: Log
    public var recovery: Recovery

    public init(device: Device = Device(), model: Model = Model(), source: Source, window: Window = Window(),
                queue: Queue = Queue(), budgets: Budgets = Budgets(), controller: Controller = Controller(),
                sinks: [Sink] = [], http: HTTP = HTTP(), mqtt: MQTT = MQTT(), state: State = State(), log: Log = Log(),
                recovery: Recovery = Recovery()) {
        self.device = device
        self.model = model
        self.source = source
        self.window = window
        self.queue = queue
        self.budgets = budgets
        self.controller = controller
        self.sinks = sinks
        self.http = http
        self.mqtt = mqtt
        self.state = state
        self.log = log
        self.recovery = recovery
    }

    /// The top-level keys (sections), in the order docs/config.md describes them.
    public static let sections = ["device", "model", "source", "window", "queue", "budgets", "controller",
                                  "sinks", "http", "mqtt", "state", "log", "recovery"]
    /// The sections a remote overlay (HTTP PUT /config, MQTT desired config) may change.
    public static let remoteSections = ["budgets", "controller", "log"]
    /// The largest document accepted: 1 MiB.
    public static let maxDocumentBytes = ConfigDocument.maxBytes
    /// Prefix of environment overrides: `EDGEPRUNE__HTTP__PORT=8081`.
    public static let environmentPrefix = EnvironmentOverrides.prefix

    /// How a document is read.
    public struct ParseOptions: Sendable {
        /// Check that the files the config names exist and are readable (see `checkFiles()`).
        /// Off for documents written for another machine.
        public var checkFiles: Bool
        /// The default `device.id` is made from this; nil: this machine's host name.
        public var hostname: String?
        /// Relative paths in the config are taken relative to this directory; nil keeps them
        /// relative to the working directory. `load(path:)` uses the config file's directory.
        public var baseDirectory: String?

        public init(checkFiles: Bool = true, hostname: String? = nil, baseDirectory: String? = nil) {
            self.checkFiles = checkFiles
            self.hostname = hostname
            self.baseDirectory = baseDirectory
        }
    }

    /// Reads, overrides from the environment, and validates the config file at `path`.
    /// Relative paths in it are relative to the file's directory unless `options` says otherwise.
    public static func load(path: String, environment: [String: String], options: ParseOptions = ParseOptions()) throws -> DaemonConfig {
        let bytes: [UInt8]
        do {
            bytes = try FileIO.read(path, maxBytes: maxDocumentBytes)
        } catch let error as EdgePruneError {
            throw EdgePruneError(error.kind == .limit ? .format : error.kind, "config: \(error.message)")
        }
        var options = options
        if options.baseDirectory == nil { options.baseDirectory = directory(of: path) }
        return try parse(bytes, source: path, environment: environment, options: options)
    }

    /// Parses a document (`source` names it in errors: a path, "PUT /config"), applies the
    /// `EDGEPRUNE__SECTION__KEY` overrides from `environment`, and validates the result.
    public static func parse(_ bytes: [UInt8], source: String, environment: [String: String],
                             options: ParseOptions = ParseOptions()) throws -> DaemonConfig {
        var root = try ConfigDocument.read(bytes, source: source)
        guard root.mappingEntries != nil else {
            throw ConfigValue.typeError("the document", "must be a mapping of sections (\(sections.joined(separator: ", ")))", root)
        }
        try EnvironmentOverrides.apply(environment, to: &root)
        let origins = ConfigOrigins()
        var config = try decode(root, origins: origins, hostname: options.hostname)
        if let base = options.baseDirectory { config.resolveRelativePaths(against: base) }
        let errors = ConfigErrors(origins: origins.byPath)
        try config.validate(errors)
        if options.checkFiles { try config.checkFiles(errors) }
        return config
    }

    static func decode(_ root: ConfigNode, origins: ConfigOrigins, hostname: String?) throws -> DaemonConfig {
        var r = try MappingReader(root, path: "", origins: origins)
        if let unknown = r.keys.first(where: { !sections.contains($0) }) {
            throw r.unknownKey(unknown, known: sections)
        }
        guard let sourceNode = r.node("source") else {
            throw EdgePruneError(.input, "config: source is required: exactly one of \(Source.kinds.joined(separator: ", "))")
        }
        var config = DaemonConfig(device: Device(id: hostname.map(Device.defaultID(hostname:))),
                                  source: try Source.read(sourceNode, origins: origins))
        if var m = try r.mapping("device") { try config.device.merge(&m) }
        if var m = try r.mapping("model") { try config.model.merge(&m) }
        if var m = try r.mapping("window") { try config.window.merge(&m) }
        if var m = try r.mapping("queue") { try config.queue.merge(&m) }
        if var m = try r.mapping("budgets") { try config.budgets.merge(&m) }
        if var m = try r.mapping("controller") { try config.controller.merge(&m) }
        if let node = r.node("sinks") {
            config.sinks = try ConfigValue.list(node, "sinks", origins: origins) { item, path in
                try Sink.read(item, path: path, origins: origins)
            }
        }
        if var m = try r.mapping("http") { try config.http.merge(&m) }
        if var m = try r.mapping("mqtt") { try config.mqtt.merge(&m) }
        if var m = try r.mapping("state") { try config.state.merge(&m) }
        if var m = try r.mapping("log") { try config.log.merge(&m) }
        if var m = try r.mapping("recovery") { try config.recovery.merge(&m) }
        try r.finish(known: sections)
        return config
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }
}
