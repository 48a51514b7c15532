import ArgumentParser
import EdgePruneCore
import EdgePruneDaemon
import EdgePruneServe
import Foundation

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon: sensor source -> windows -> adaptive inference -> sinks, with the HTTP control API, MQTT fleet config and crash-safe state.",
        discussion: """
            The config is YAML (docs/config.md; examples in boards/*.yaml). Environment variables \
            EDGEPRUNE__SECTION__KEY=value override its keys (e.g. EDGEPRUNE__HTTP__PORT=8081). \
            Under systemd (Type=notify) the daemon reports READY, STATUS, WATCHDOG and STOPPING \
            over $NOTIFY_SOCKET (boards/edgeprune.service). SIGTERM or SIGINT stop it gracefully: \
            the inference in flight finishes, MQTT says offline, the level and counters are persisted.

            Examples:
              edgeprune serve --config /etc/edgeprune/config.yaml
              edgeprune serve --config boards/x86_64-generic.yaml --check
            """)

    @Option(help: "The daemon's YAML config file.")
    var config: String

    @Flag(help: "Validate the config (keys, values, the files it names) and exit.")
    var check = false

    func run() async throws {
        if check {
            try CLI.guarded {
                let c = try DaemonConfig.load(path: config, environment: ProcessInfo.processInfo.environment)
                print("\(config): valid (device \(c.device.id), source \(c.source.kind), \(c.sinks.count) sink(s), http \(c.http.enabled ? "on" : "off"), mqtt \(c.mqtt.enabled ? "on" : "off"))")
            }
            return
        }
        do {
            try await Daemon.run(configPath: config)
        } catch let e as EdgePruneError {
            CLI.fail(e.description)
        }
    }
}
