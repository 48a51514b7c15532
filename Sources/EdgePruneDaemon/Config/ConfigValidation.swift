#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore
import EdgePruneDevice

extension DaemonConfig {
    /// Checks ranges and the settings that need each other, without touching the file system.
    /// The first problem is thrown, naming its key path.
    public func validate() throws {
        try validate(ConfigErrors())
    }

    /// Checks that the files the config names exist and are readable by this process: the
    /// replay file, a board profile file, `http.token_file` (when HTTP is enabled), and
    /// `mqtt.fleet_keys`, `mqtt.password_file` and the TLS files (when MQTT is enabled). Not
    /// checked: `model.path` (a model installed by POST /model may stand in for it), the state
    /// directory, sink files and GPIO chips (the daemon creates or opens them and says so), and
    /// the IIO tree (devices may appear after boot).
    public func checkFiles() throws {
        try checkFiles(ConfigErrors())
    }

    func validate(_ e: ConfigErrors) throws {
        try validateDevice(e)
        try validateModel(e)
        try validateSource(e)
        try validatePipeline(e)
        try validateControl(e)
        try validateSinks(e)
        try validateHTTP(e)
        try validateMQTT(e)
        try validateStateAndLog(e)
        try recovery.validate(e)
    }

    private func number(_ v: Double) -> String { ConfigErrors.number(v) }

    private func validateDevice(_ e: ConfigErrors) throws {
        guard ConfigTarget.isValidName(device.id) else {
            throw e.invalid("device.id", "must be 1-64 characters of A-Z a-z 0-9 . _ -, got '\(device.id)'")
        }
        guard device.groups.count <= 32 else { throw e.invalid("device.groups", "has \(device.groups.count) groups; at most 32") }
        var seen = Set<String>()
        for (i, group) in device.groups.enumerated() {
            let path = "device.groups[\(i)]"
            guard ConfigTarget.isValidName(group) else {
                throw e.invalid(path, "must be 1-64 characters of A-Z a-z 0-9 . _ -, got '\(group)'")
            }
            guard seen.insert(group).inserted else { throw e.invalid(path, "repeats group '\(group)'") }
        }
        if case .builtIn(let name) = device.board, BoardProfile.builtIn(named: name) == nil {
            let names = BoardProfile.builtIn.map(\.name).joined(separator: ", ")
            throw e.invalid("device.board", "must be auto, \(names) or a path to a JSON profile, got '\(name)'")
        }
        if case .file(let path) = device.board, path.isEmpty { throw e.invalid("device.board", "is an empty path") }
    }

    private func validateModel(_ e: ConfigErrors) throws {
        if let path = model.path {
            let lower = path.lowercased()
            guard lower.hasSuffix(".epm") || lower.hasSuffix(".onnx") else {
                throw e.invalid("model.path", "must name a .epm or .onnx file, got '\(path)'")
            }
        }
        guard (1...64).contains(model.threads) else { throw e.invalid("model.threads", "must be an integer in 1...64, got \(model.threads)") }
        guard (0...1000).contains(model.level) else { throw e.invalid("model.level", "must be a ladder level in 0...1000, got \(model.level)") }
    }

    private func validateSource(_ e: ConfigErrors) throws {
        switch source {
        case .replay(let r):
            guard r.format != nil else { throw e.invalid("source.replay.path", "must name a .npy or .csv file, got '\(r.path)'") }
            guard r.rate >= 0, r.rate <= 1_000_000 else {
                throw e.invalid("source.replay.rate", "must be a number of samples per second in 0...1000000 (0: as fast as possible), got \(number(r.rate))")
            }
        case .stdin(let s):
            if let c = s.channels, !(1...65_536).contains(c) { throw e.invalid("source.stdin.channels", "must be in 1...65536, got \(c)") }
        case .udp(let u):
            guard isIPv4(u.bind) else { throw e.invalid("source.udp.bind", "must be an IPv4 address such as 127.0.0.1, got '\(u.bind)'") }
            guard (0...65_535).contains(u.port) else { throw e.invalid("source.udp.port", "must be a port in 0...65535, got \(u.port)") }
            if let c = u.channels, !(1...16_384).contains(c) { throw e.invalid("source.udp.channels", "must be in 1...16384, got \(c)") }
        case .gpio(let g):
            try validateGPIOSource(g, e)
        case .iio(let i):
            guard !i.device.isEmpty else { throw e.invalid("source.iio.device", "is empty") }
            for (n, id) in i.channels.enumerated() where id.isEmpty || !id.utf8.allSatisfy(isChannelByte) {
                throw e.invalid("source.iio.channels[\(n)]", "must be an IIO channel id such as accel_x, got '\(id)'")
            }
            if i.buffered {
                if i.rate != nil {
                    throw e.invalid("source.iio.rate", "applies to sysfs polling (buffered: false); the buffered device is paced by its trigger")
                }
                guard (1...(1 << 20)).contains(i.bufferLength) else {
                    throw e.invalid("source.iio.buffer_length", "must be in 1...1048576, got \(i.bufferLength)")
                }
            } else {
                guard !i.channels.isEmpty else { throw e.invalid("source.iio.channels", "must name at least one channel when polling sysfs (buffered: false)") }
                if let rate = i.rate, !(rate > 0 && rate <= 100_000) {
                    throw e.invalid("source.iio.rate", "must be polls per second in (0, 100000], got \(number(rate))")
                }
            }
            guard !i.sysfsRoot.isEmpty else { throw e.invalid("source.iio.sysfs_root", "is empty") }
        }
    }

    private func validateGPIOSource(_ g: GPIO, _ e: ConfigErrors) throws {
        guard !g.chip.isEmpty else { throw e.invalid("source.gpio.chip", "is empty") }
        switch (g.trigger, g.intervalSeconds) {
        case (nil, nil):
            throw e.invalid("source.gpio", "needs a trigger ({line, edge}) or interval_seconds")
        case (.some, .some):
            throw e.invalid("source.gpio", "takes a trigger or interval_seconds, not both")
        case (nil, .some(let seconds)):
            guard seconds > 0, seconds <= 3600 else {
                throw e.invalid("source.gpio.interval_seconds", "must be in (0, 3600], got \(number(seconds))")
            }
            guard !g.lines.isEmpty else { throw e.invalid("source.gpio.lines", "must name at least one input line when sampling at an interval") }
        case (.some, nil):
            break
        }
        try checkLines(g.lines, "source.gpio.lines", e)
        if let t = g.trigger {
            let path = t.lines.count == 1 ? "source.gpio.trigger.line" : "source.gpio.trigger.lines"
            try checkLines(t.lines, path, e)
            if let both = t.lines.first(where: g.lines.contains) {
                throw e.invalid(path, "\(both) is also an input line; a line can be requested once")
            }
        }
        try checkBoardLines(chip: g.chip, lines: g.lines + (g.trigger?.lines ?? []), path: "source.gpio", e)
    }

    private func checkLines(_ lines: [GPIOLine], _ path: String, _ e: ConfigErrors) throws {
        guard lines.count <= 64 else { throw e.invalid(path, "has \(lines.count) lines; one request holds at most 64") }
        var seen = Set<GPIOLine>()
        for (i, line) in lines.enumerated() {
            if case .name(let name) = line, name.isEmpty { throw e.invalid("\(path)[\(i)]", "is an empty line name") }
            guard seen.insert(line).inserted else { throw e.invalid(path, "names line \(line) twice") }
        }
    }

    /// With an explicitly chosen built-in board and its header chip, line names and offsets
    /// must be the board's (a typo like GPIO71 is caught before the daemon opens the chip).
    private func checkBoardLines(chip: String, lines: [GPIOLine], path: String, _ e: ConfigErrors) throws {
        guard case .builtIn(let name) = device.board, let board = BoardProfile.builtIn(named: name) else { return }
        guard let gpio = board.gpio else {
            throw e.invalid(path, "uses GPIO, but board \(name) has no GPIO header")
        }
        guard gpio.chips.contains(chip) || gpio.chips.contains("/dev/" + chip) else { return }
        for line in lines {
            switch line {
            case .name(let n):
                guard gpio.lines.contains(n) else {
                    throw e.invalid(path, "line '\(n)' is not a header line of \(name) (\(gpio.lines.first ?? "")...\(gpio.lines.last ?? ""))")
                }
            case .offset(let n):
                guard Int(n) < gpio.lineCount else {
                    throw e.invalid(path, "line \(n) is beyond \(name)'s \(gpio.label) (\(gpio.lineCount) lines)")
                }
            }
        }
    }

    private func validatePipeline(_ e: ConfigErrors) throws {
        guard (1...(1 << 20)).contains(window.size) else { throw e.invalid("window.size", "must be in 1...1048576 samples, got \(window.size)") }
        guard (1...(1 << 20)).contains(window.hop) else { throw e.invalid("window.hop", "must be in 1...1048576 samples, got \(window.hop)") }
        guard (1...(1 << 20)).contains(queue.capacity) else { throw e.invalid("queue.capacity", "must be in 1...1048576 windows, got \(queue.capacity)") }
        if let t = queue.blockTimeoutSeconds {
            guard queue.policy == .block else { throw e.invalid("queue.block_timeout_seconds", "applies only to policy: block") }
            guard t > 0, t <= 3600 else { throw e.invalid("queue.block_timeout_seconds", "must be in (0, 3600], got \(number(t))") }
        }
    }

    private func validateControl(_ e: ConfigErrors) throws {
        for (key, value) in [("latency_p95_ms", budgets.latencyP95Ms), ("energy_mj", budgets.energyMJ), ("power_w", budgets.powerW)] {
            if let v = value, !(v > 0 && v <= 1e9) { throw e.invalid("budgets.\(key)", "must be a number > 0, got \(number(v))") }
        }
        if let v = budgets.accuracyFloor, !(v > 0 && v <= 1) {
            throw e.invalid("budgets.accuracy_floor", "must be a fraction in (0, 1], got \(number(v))")
        }
        let c = controller
        guard c.hysteresis >= 0, c.hysteresis < 1 else { throw e.invalid("controller.hysteresis", "must be in [0, 1), got \(number(c.hysteresis))") }
        guard c.cooldownInferences >= 0 else { throw e.invalid("controller.cooldown_inferences", "must be >= 0, got \(c.cooldownInferences)") }
        guard c.cooldownSeconds >= 0 else { throw e.invalid("controller.cooldown_seconds", "must be >= 0, got \(number(c.cooldownSeconds))") }
        guard c.minLevel >= 0 else { throw e.invalid("controller.min_level", "must be >= 0, got \(c.minLevel)") }
        if let max = c.maxLevel, max < c.minLevel {
            throw e.invalid("controller.max_level", "must be >= controller.min_level (\(c.minLevel)), got \(max)")
        }
        guard (0...1).contains(c.shadowFraction) else { throw e.invalid("controller.shadow_fraction", "must be in [0, 1], got \(number(c.shadowFraction))") }
        guard c.labelMaxAgeSeconds > 0 else { throw e.invalid("controller.label_max_age_seconds", "must be > 0, got \(number(c.labelMaxAgeSeconds))") }
        guard c.rollbackWindowInferences >= 0 else {
            throw e.invalid("controller.rollback_window_inferences", "must be >= 0, got \(c.rollbackWindowInferences)")
        }
        guard c.rollbackBlockSeconds >= 0 else { throw e.invalid("controller.rollback_block_seconds", "must be >= 0, got \(number(c.rollbackBlockSeconds))") }
        guard c.minLatencySamples >= 1 else { throw e.invalid("controller.min_latency_samples", "must be >= 1, got \(c.minLatencySamples)") }
        guard c.minFeedback >= 1 else { throw e.invalid("controller.min_feedback", "must be >= 1, got \(c.minFeedback)") }
        // The runtime's own checks, so that nothing valid here is refused later.
        do {
            try runnerOptions(denseAccuracy: nil).validate(topLevel: max(c.maxLevel ?? c.minLevel, c.minLevel))
        } catch let error as EdgePruneError {
            throw EdgePruneError(.input, "config: controller: \(error.message)")
        }
    }

    private func validateSinks(_ e: ConfigErrors) throws {
        guard sinks.count <= 16 else { throw e.invalid("sinks", "has \(sinks.count) entries; at most 16") }
        var files: [String: Int] = [:]
        var outputs: [String: Int] = [:]
        for (i, sink) in sinks.enumerated() {
            let path = "sinks[\(i)]"
            switch sink {
            case .stdout:
                break
            case .file(let f):
                guard !f.path.isEmpty else { throw e.invalid("\(path).path", "is empty") }
                if let other = files[f.path] { throw e.invalid("\(path).path", "'\(f.path)' is also sinks[\(other)]'s file") }
                files[f.path] = i
                guard (4096...(1 << 40)).contains(f.maxBytes) else {
                    throw e.invalid("\(path).max_bytes", "must be in 4096...\(1 << 40), got \(f.maxBytes)")
                }
                guard (1...100).contains(f.keep) else { throw e.invalid("\(path).keep", "must be in 1...100 rotated files, got \(f.keep)") }
            case .gpio(let g):
                guard !g.chip.isEmpty else { throw e.invalid("\(path).chip", "is empty") }
                if case .name(let n) = g.line, n.isEmpty { throw e.invalid("\(path).line", "is an empty line name") }
                let key = "\(g.chip) \(g.line)"
                if let other = outputs[key] { throw e.invalid("\(path).line", "\(g.line) on \(g.chip) is also sinks[\(other)]'s line") }
                outputs[key] = i
                if case .gpio(let s) = source, s.chip == g.chip, (s.lines + (s.trigger?.lines ?? [])).contains(g.line) {
                    throw e.invalid("\(path).line", "\(g.line) on \(g.chip) is also a source.gpio line; a line can be requested once")
                }
                guard !g.onClasses.isEmpty else { throw e.invalid("\(path).on_classes", "must name at least one class") }
                if let bad = g.onClasses.firstIndex(where: { $0 < 0 }) {
                    throw e.invalid("\(path).on_classes[\(bad)]", "must be a class index >= 0, got \(g.onClasses[bad])")
                }
                guard g.on == 0 || g.on == 1 else { throw e.invalid("\(path).on", "must be 0 or 1, got \(g.on)") }
                try checkBoardLines(chip: g.chip, lines: [g.line], path: "\(path).line", e)
            case .mqtt(let m):
                guard mqtt.enabled else { throw e.invalid(path, "is an mqtt sink, which needs mqtt.enabled: true") }
                if let topic = m.topic { try validateTopic(topic, "\(path).topic", allowDevicePlaceholder: true, e) }
                guard (0...2).contains(m.qos) else { throw e.invalid("\(path).qos", "must be 0, 1 or 2, got \(m.qos)") }
                guard (1...1_000_000).contains(m.every) else { throw e.invalid("\(path).every", "must be in 1...1000000, got \(m.every)") }
            }
        }
    }

    private func validateHTTP(_ e: ConfigErrors) throws {
        guard isHost(http.bind) else { throw e.invalid("http.bind", "must be an IP address or a host name, got '\(http.bind)'") }
        guard (0...65_535).contains(http.port) else { throw e.invalid("http.port", "must be a port in 0...65535, got \(http.port)") }
        guard (1024...(64 << 20)).contains(http.maxBodyBytes) else {
            throw e.invalid("http.max_body_bytes", "must be in 1024...\(64 << 20), got \(http.maxBodyBytes)")
        }
        guard (1024...(4 << 30)).contains(http.maxModelBytes) else {
            throw e.invalid("http.max_model_bytes", "must be in 1024...\(4 << 30), got \(http.maxModelBytes)")
        }
        if let file = http.tokenFile, file.isEmpty { throw e.invalid("http.token_file", "is an empty path") }
        if http.enabled, http.tokenFile == nil {
            throw e.invalid("http.token_file", "is required when http.enabled is true (a file holding the bearer token, at least 16 characters)")
        }
    }

    private func validateMQTT(_ e: ConfigErrors) throws {
        let m = mqtt
        guard isHost(m.host) else { throw e.invalid("mqtt.host", "must be an IP address or a host name, got '\(m.host)'") }
        guard (1...65_535).contains(m.port) else { throw e.invalid("mqtt.port", "must be a port in 1...65535, got \(m.port)") }
        if let id = m.clientID {
            guard (1...128).contains(id.utf8.count), id.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
                throw e.invalid("mqtt.client_id", "must be 1-128 characters without blanks or control characters, got '\(id)'")
            }
        }
        if let user = m.username, user.isEmpty { throw e.invalid("mqtt.username", "is empty (use null for none)") }
        if let file = m.passwordFile {
            guard !file.isEmpty else { throw e.invalid("mqtt.password_file", "is an empty path") }
            guard m.username != nil else { throw e.invalid("mqtt.password_file", "needs mqtt.username (MQTT sends a password only with a user name)") }
        }
        if let tls = m.tls {
            guard let ca = tls.caFile, !ca.isEmpty else { throw e.invalid("mqtt.tls.ca_file", "is required with TLS (the CA certificate that signed the broker's)") }
            guard (tls.certFile == nil) == (tls.keyFile == nil) else {
                throw e.invalid(tls.certFile == nil ? "mqtt.tls.cert_file" : "mqtt.tls.key_file", "is required: a client certificate needs both cert_file and key_file")
            }
        }
        guard (5...65_535).contains(m.keepaliveSeconds) else {
            throw e.invalid("mqtt.keepalive_seconds", "must be in 5...65535, got \(m.keepaliveSeconds)")
        }
        guard m.reconnectMinSeconds > 0, m.reconnectMinSeconds <= 3600 else {
            throw e.invalid("mqtt.reconnect_min_seconds", "must be in (0, 3600], got \(number(m.reconnectMinSeconds))")
        }
        guard m.reconnectMaxSeconds >= m.reconnectMinSeconds, m.reconnectMaxSeconds <= 86_400 else {
            throw e.invalid("mqtt.reconnect_max_seconds", "must be in mqtt.reconnect_min_seconds (\(number(m.reconnectMinSeconds)))...86400, got \(number(m.reconnectMaxSeconds))")
        }
        try validateTopic(m.topicPrefix, "mqtt.topic_prefix", allowDevicePlaceholder: false, e)
        for (i, key) in m.fleetKeys.enumerated() where key.isEmpty { throw e.invalid("mqtt.fleet_keys[\(i)]", "is an empty path") }
        if m.enabled, m.fleetKeys.isEmpty {
            throw e.invalid("mqtt.fleet_keys", "must list at least one PEM public key file when mqtt.enabled is true (configs must be signed)")
        }
    }

    private func validateTopic(_ topic: String, _ path: String, allowDevicePlaceholder: Bool, _ e: ConfigErrors) throws {
        guard !topic.isEmpty, topic.utf8.count <= 512 else { throw e.invalid(path, "must be 1-512 bytes, got \(topic.utf8.count)") }
        if let bad = topic.unicodeScalars.first(where: { $0 == "+" || $0 == "#" || $0.value < 0x20 || $0.value == 0x7F }) {
            throw e.invalid(path, "must not contain '\(bad.value < 0x20 ? "control character" : String(bad))' (MQTT wildcards and control characters), got '\(topic)'")
        }
        guard !topic.hasPrefix("/"), !topic.hasSuffix("/"), !topic.contains("//") else {
            throw e.invalid(path, "must not start or end with '/' or hold an empty level, got '\(topic)'")
        }
        var rest = Substring(topic)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { throw e.invalid(path, "has an unclosed '{' in '\(topic)'") }
            let name = rest[rest.index(after: open)..<close]
            guard allowDevicePlaceholder, name == "device" else {
                throw e.invalid(path, "has an unknown placeholder '{\(name)}'" + (allowDevicePlaceholder ? " (only {device})" : ""))
            }
            rest = rest[rest.index(after: close)...]
        }
    }

    private func validateStateAndLog(_ e: ConfigErrors) throws {
        guard !state.directory.isEmpty else { throw e.invalid("state.directory", "is empty") }
        guard state.persistIntervalSeconds >= 1, state.persistIntervalSeconds <= 86_400 else {
            throw e.invalid("state.persist_interval_seconds", "must be in 1...86400, got \(number(state.persistIntervalSeconds))")
        }
    }

    // MARK: - Files

    func checkFiles(_ e: ConfigErrors) throws {
        if case .file(let path) = device.board { try readable(path, "device.board", e) }
        if case .replay(let r) = source { try readable(r.path, "source.replay.path", e) }
        if http.enabled, let token = http.tokenFile { try readable(token, "http.token_file", e) }
        if mqtt.enabled {
            for (i, key) in mqtt.fleetKeys.enumerated() { try readable(key, "mqtt.fleet_keys[\(i)]", e) }
            if let file = mqtt.passwordFile { try readable(file, "mqtt.password_file", e) }
            if let tls = mqtt.tls {
                if let f = tls.caFile { try readable(f, "mqtt.tls.ca_file", e) }
                if let f = tls.certFile { try readable(f, "mqtt.tls.cert_file", e) }
                if let f = tls.keyFile { try readable(f, "mqtt.tls.key_file", e) }
            }
        }
    }

    private func readable(_ path: String, _ key: String, _ e: ConfigErrors) throws {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw e.invalid(key, "'\(path)' cannot be used: \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw e.invalid(key, "'\(path)' is not a regular file") }
        guard access(path, R_OK) == 0 else {
            throw e.invalid(key, "'\(path)' is not readable by this process: \(String(cString: strerror(errno)))")
        }
    }

    // MARK: - Relative paths

    /// Makes every relative path absolute against `base`.
    mutating func resolveRelativePaths(against base: String) {
        func resolve(_ path: inout String) {
            guard !path.isEmpty, !path.hasPrefix("/") else { return }
            var relative = Substring(path)
            while relative.hasPrefix("./") { relative = relative.dropFirst(2) }
            path = (base.hasSuffix("/") ? base : base + "/") + relative
        }
        func resolve(_ path: inout String?) {
            guard var p = path else { return }
            resolve(&p)
            path = p
        }
        if case .file(var p) = device.board { resolve(&p); device.board = .file(p) }
        resolve(&model.path)
        switch source {
        case .replay(var r): resolve(&r.path); source = .replay(r)
        case .iio(var i): resolve(&i.sysfsRoot); source = .iio(i)
        default: break
        }
        for i in sinks.indices {
            if case .file(var f) = sinks[i] { resolve(&f.path); sinks[i] = .file(f) }
        }
        resolve(&http.tokenFile)
        resolve(&mqtt.passwordFile)
        for i in mqtt.fleetKeys.indices { resolve(&mqtt.fleetKeys[i]) }
        if var tls = mqtt.tls {
            resolve(&tls.caFile)
            resolve(&tls.certFile)
            resolve(&tls.keyFile)
            mqtt.tls = tls
        }
        resolve(&state.directory)
    }
}

// MARK: - Address checks

private func isIPv4(_ text: String) -> Bool {
    var address = in_addr()
    return inet_pton(AF_INET, text, &address) == 1
}

private func isIPv6(_ text: String) -> Bool {
    var address = in6_addr()
    return inet_pton(AF_INET6, text, &address) == 1
}

/// An IP literal, or a DNS name (labels of letters, digits and '-', dots between).
private func isHost(_ text: String) -> Bool {
    if isIPv4(text) || isIPv6(text) { return true }
    guard !text.isEmpty, text.utf8.count <= 253 else { return false }
    return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
        !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
            && label.utf8.allSatisfy { b in
                (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == UInt8(ascii: "-")
            }
    }
}

private func isChannelByte(_ b: UInt8) -> Bool {
    (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
}
