import EdgePruneCore
import EdgePruneDaemon
import EdgePruneDevice

/// Builds the configured sensor source and sinks (the config layer has validated the values;
/// what can only be checked against the device, a GPIO line name or an IIO channel, fails here
/// with the key named).
public enum SourceFactory {
    /// The source named by `config.source`. `gpio` opens chips through `gpioBackend`
    /// (libgpiod on a device, a fake in tests).
    public static func source(_ config: DaemonConfig, gpioBackend: () throws -> any GPIOBackend) throws -> any SensorSource {
        switch config.source {
        case .replay(let r):
            guard let format = r.format else {
                throw EdgePruneError(.input, "config: source.replay.path '\(r.path)' must end in .npy or .csv")
            }
            switch format {
            case .npy: return try ReplaySource.npy(r.path, rate: r.sourceRate, loop: r.loop)
            case .csv: return try ReplaySource.csv(r.path, rate: r.sourceRate, loop: r.loop)
            }
        case .stdin(let s):
            return try LineSource(channels: s.channels)
        case .udp(let u):
            guard let port = UInt16(exactly: u.port) else { throw EdgePruneError(.input, "config: source.udp.port \(u.port) is not a port") }
            return try UDPSource(host: u.bind, port: port, payload: u.payload, channels: u.channels)
        case .gpio(let g):
            let chip = try keyed("source.gpio.chip") { try gpioBackend().openChip(g.chip) }
            let inputs = try g.lines.map { try offset($0, chip: chip, key: "source.gpio.lines") }
            let trigger: GPIOSource.Trigger
            if let t = g.trigger {
                trigger = .edges(lines: try t.lines.map { try offset($0, chip: chip, key: "source.gpio.trigger.lines") }, edge: t.edge)
            } else if let seconds = g.intervalSeconds {
                trigger = .interval(seconds: seconds)
            } else {
                throw EdgePruneError(.input, "config: source.gpio needs a trigger or an interval_seconds")
            }
            return try GPIOSource(chip: chip, inputs: inputs, trigger: trigger, flags: g.flags)
        case .iio(let i):
            let device = try keyed("source.iio.device") { try IIODevice.find(i.device, root: i.sysfsRoot) }
            if i.buffered {
                return try IIOBufferSource(device: device, channels: i.channels.isEmpty ? nil : i.channels, bufferLength: i.bufferLength)
            }
            guard let rate = i.rate, rate > 0 else { throw EdgePruneError(.input, "config: source.iio.rate is needed to poll sysfs channels") }
            return try IIOSysfsSource(device: device, channels: i.channels, interval: 1 / rate)
        }
    }

    /// The configured sinks, in order. `publish` is the MQTT client's publish (nil without MQTT:
    /// an mqtt sink is then refused).
    public static func sinks(_ config: DaemonConfig, gpioBackend: () throws -> any GPIOBackend,
                             publish: ((String, [UInt8]) -> Bool)?) throws -> [InferenceSink] {
        var out: [InferenceSink] = []
        do {
            for (k, sink) in config.sinks.enumerated() {
                let key = "sinks[\(k)]"
                switch sink {
                case .stdout:
                    out.append(JSONLinesSink())
                case .file(let f):
                    out.append(try keyed(key) { try RotatingFileSink(path: f.path, maxBytes: f.maxBytes, keep: f.keep) })
                case .gpio(let g):
                    let chip = try keyed(key + ".chip") { try gpioBackend().openChip(g.chip) }
                    let line = try offset(g.line, chip: chip, key: key + ".line")
                    out.append(try keyed(key) { try GPIOClassSink(chip: chip, line: line, onClasses: Set(g.onClasses), on: g.on) })
                case .mqtt(let m):
                    guard let publish else { throw EdgePruneError(.input, "config: \(key) is an mqtt sink but mqtt.enabled is false") }
                    out.append(try keyed(key) { try PublishSink(topic: config.topic(for: m), device: config.device.id, every: m.every, publish: publish) })
                }
            }
        } catch {
            for s in out { s.close() }
            throw error
        }
        return out
    }

    private static func offset(_ line: DaemonConfig.GPIOLine, chip: any GPIOChip, key: String) throws -> UInt32 {
        switch line {
        case .offset(let n): return n
        case .name(let name): return try keyed(key) { try chip.lineOffset(named: name) }
        }
    }

    /// Runs `body`, prefixing its error with the config key it concerns.
    static func keyed<T>(_ key: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as EdgePruneError {
            throw EdgePruneError(e.kind, "config: \(key): \(e.message)")
        } catch {
            throw EdgePruneError(.io, "config: \(key): \(error)")
        }
    }
}
