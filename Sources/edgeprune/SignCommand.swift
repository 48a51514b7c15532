import ArgumentParser
import EdgePruneDaemon
import Foundation

struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a config overlay for one device or a group: the envelope devices accept over MQTT (docs/security.md, docs/mqtt.md).",
        discussion: """
            The config is an overlay document (YAML or JSON holding budgets, controller and log; \
            docs/config.md). The version must be above every version the target has applied \
            (`date +%s` works). The envelope is written atomically.

            Example:
              edgeprune sign overlay.yaml --key ~/fleet-keys/fleet-signing.key --version $(date +%s) --device pi-07 -o signed.json
              mosquitto_pub -r -t edgeprune/devices/pi-07/config/desired -f signed.json
            """)

    @Argument(help: "The config document to sign.")
    var config: String

    @Option(help: "The fleet private key (fleet-signing.key, mode 0600).")
    var key: String

    @Option(help: "The config version (an integer >= 1, above the target's applied version).")
    var version: UInt64

    @Option(help: "Target one device by id.")
    var device: String?

    @Option(help: "Target a fleet group.")
    var group: String?

    @Option(name: .shortAndLong, help: "Where to write the signed envelope.")
    var output: String

    func validate() throws {
        guard (device == nil) != (group == nil) else { throw ValidationError("give exactly one of --device and --group") }
        guard version >= 1 else { throw ValidationError("--version must be >= 1") }
        for name in [device, group].compactMap({ $0 }) where !ConfigTarget.isValidName(name) {
            throw ValidationError("'\(name)' must be 1-64 characters of A-Z a-z 0-9 . _ -")
        }
    }

    func run() throws {
        try CLI.guarded {
            try CLI.checkOutputDirectory(output, flag: "--output")
            let target: ConfigTarget = device.map { .device($0) } ?? .group(group!)
            let envelope = try ConfigSigner.signFile(configPath: config, privateKeyPath: key, version: version, target: target, outputPath: output)
            print("wrote \(output): \(target), version \(version), key id \(envelope.keyID)")
        }
    }
}
