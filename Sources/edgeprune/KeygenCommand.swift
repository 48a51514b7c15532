import ArgumentParser
import EdgePruneDaemon
import Foundation

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make a fleet signing key pair (Ed25519): DIR/fleet-signing.key (0600, keep it off the devices) and DIR/fleet-signing.pub (for mqtt.fleet_keys).",
        discussion: """
            The files are PEM in OpenSSL's encodings (docs/security.md). An existing private key is \
            never replaced unless --force is given.

            Example:
              edgeprune keygen --out ~/fleet-keys
            """)

    @Option(help: "Directory for the key files (created 0700 if missing).")
    var out: String

    @Flag(help: "Replace an existing key pair in the directory.")
    var force = false

    func run() throws {
        try CLI.guarded {
            let r = try FleetKeys.generate(into: out, overwrite: force)
            print("private key: \(r.privateKeyPath) (0600: keep it on the operator's machine)")
            print("public key:  \(r.publicKeyPath) (list it in mqtt.fleet_keys on each device)")
            print("key id:      \(r.keyID)")
        }
    }
}
