import EdgePruneCore

extension DaemonConfig {
    /// A remote update (HTTP PUT /config, MQTT desired config) merged onto this config.
    ///
    /// The overlay is a YAML or JSON mapping holding only `budgets`, `controller` and `log`
    /// (any other section: `config: key 'http' cannot be changed remotely`). Each section given
    /// changes only the keys it gives (`budgets: {latency_p95_ms: 4}` keeps the other budgets;
    /// null removes an optional budget), and the merged result is validated as a whole. The
    /// result is returned; `self` is never changed, so a refused overlay leaves the running
    /// config exactly as it was. `{}` is a valid overlay that changes nothing. No environment
    /// overrides or file checks apply: overlays cannot name files.
    public func applyingRemoteOverlay(_ bytes: [UInt8], source: String) throws -> DaemonConfig {
        let root = try ConfigDocument.read(bytes, source: source)
        let origins = ConfigOrigins()
        var r = try MappingReader(root, path: "", origins: origins)
        for key in r.keys where !Self.remoteSections.contains(key) {
            guard Self.sections.contains(key) else { throw r.unknownKey(key, known: Self.remoteSections) }
            throw EdgePruneError(.input, "config: key '\(key)' cannot be changed remotely (only \(Self.remoteSections.joined(separator: ", ")))"
                                 + ConfigErrors.originSuffix(root[key]?.origin ?? .unknown))
        }
        var merged = self
        if var m = try r.mapping("budgets") { try merged.budgets.merge(&m) }
        if var m = try r.mapping("controller") { try merged.controller.merge(&m) }
        if var m = try r.mapping("log") { try merged.log.merge(&m) }
        try r.finish(known: Self.remoteSections)
        try merged.validate(ConfigErrors(origins: origins.byPath))
        return merged
    }
}
