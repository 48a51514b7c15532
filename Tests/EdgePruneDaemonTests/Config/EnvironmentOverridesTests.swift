import EdgePruneCore
@testable import EdgePruneDaemon
import Foundation
import XCTest

final class EnvironmentOverridesTests: XCTestCase {
    private let base = """
        source:
          replay: {path: /d/x.npy, rate: 100}
        http:
          enabled: true
          token_file: /t
          port: 8080
        sinks:
          - {type: stdout}
          - {type: file, path: /var/log/a.jsonl}

        """

    func testOverridesSetKeysAsYAMLValues() throws {
        let c = try ConfigTestKit.parse(base, environment: [
            "EDGEPRUNE__HTTP__PORT": "8081",
            "EDGEPRUNE__BUDGETS__LATENCY_P95_MS": "4",          // creates the section
            "EDGEPRUNE__SOURCE__REPLAY__RATE": "250.5",         // three levels deep
            "EDGEPRUNE__SOURCE__REPLAY__LOOP": "true",
            "EDGEPRUNE__DEVICE__GROUPS": "[kitchen, floor-2]",  // a flow list
            "EDGEPRUNE__DEVICE__ID": "from-env",
            "EDGEPRUNE__SINKS__1__KEEP": "9",                   // a list entry by index
            "EDGEPRUNE__MQTT__TLS__CA_FILE": "/ca.pem",         // nested section created
            "EDGEPRUNE__LOG__LEVEL": "debug",
            "PATH": "/usr/bin",                                  // not ours
            "EDGEPRUNE_HTTP_PORT": "1",                          // single underscores: not ours
        ])
        XCTAssertEqual(c.http.port, 8081)
        XCTAssertEqual(c.budgets.latencyP95Ms, 4)
        XCTAssertEqual(c.source, .replay(.init(path: "/d/x.npy", rate: 250.5, loop: true)))
        XCTAssertEqual(c.device.groups, ["kitchen", "floor-2"])
        XCTAssertEqual(c.device.id, "from-env")
        XCTAssertEqual(c.sinks[1], .file(.init(path: "/var/log/a.jsonl", keep: 9)))
        XCTAssertEqual(c.mqtt.tls?.caFile, "/ca.pem")
        XCTAssertEqual(c.log.level, .debug)
    }

    func testNamesAreCaseInsensitive() throws {
        XCTAssertEqual(try ConfigTestKit.parse(base, environment: ["edgeprune__http__port": "9"]).http.port, 9)
        XCTAssertEqual(try ConfigTestKit.parse(base, environment: ["EdgePrune__Http__Port": "10"]).http.port, 10)
        let e = ConfigTestKit.error(base, environment: ["EDGEPRUNE__HTTP__PORT": "1", "edgeprune__http__port": "2"])
        XCTAssertTrue(e?.message.contains("both set http.port") ?? false, e?.message ?? "")
    }

    func testEmptyValueIsNullAndClearsOptionalKeys() throws {
        let withBudget = base + "budgets: {latency_p95_ms: 5, power_w: 3}\n"
        let c = try ConfigTestKit.parse(withBudget, environment: ["EDGEPRUNE__BUDGETS__LATENCY_P95_MS": ""])
        XCTAssertNil(c.budgets.latencyP95Ms)
        XCTAssertEqual(c.budgets.powerW, 3)
        // A quoted value stays a string, and a string is not a port.
        let e = ConfigTestKit.error(base, environment: ["EDGEPRUNE__HTTP__PORT": "\"8081\""])
        XCTAssertTrue(e?.message.contains("http.port must be an integer, got '8081' (from EDGEPRUNE__HTTP__PORT)") ?? false, e?.message ?? "")
    }

    func testOverriddenValuesAreValidatedNamingTheVariable() {
        ConfigTestKit.assertRefused(base, "budgets.latency_p95_ms must be a number > 0, got -3 (from EDGEPRUNE__BUDGETS__LATENCY_P95_MS)",
                                    environment: ["EDGEPRUNE__BUDGETS__LATENCY_P95_MS": "-3"])
        ConfigTestKit.assertRefused(base, "unknown key 'http.prot'", "did you mean 'port'?", "from EDGEPRUNE__HTTP__PROT",
                                    environment: ["EDGEPRUNE__HTTP__PROT": "1"])
        ConfigTestKit.assertRefused(base, "unknown key 'colour'", environment: ["EDGEPRUNE__COLOUR": "red"])
        // Setting a second source kind makes two.
        ConfigTestKit.assertRefused(base, "exactly one kind", "got 2: replay, udp", environment: ["EDGEPRUNE__SOURCE__UDP__PORT": "9000"])
        ConfigTestKit.assertRefused(base, "http.enabled must be true or false, got 'maybe' (from EDGEPRUNE__HTTP__ENABLED)",
                                    environment: ["EDGEPRUNE__HTTP__ENABLED": "maybe"])
    }

    func testMalformedOverridesAreRefused() {
        ConfigTestKit.assertRefused(base, "EDGEPRUNE__HTTP____PORT: empty key at segment 2", environment: ["EDGEPRUNE__HTTP____PORT": "1"])
        ConfigTestKit.assertRefused(base, "EDGEPRUNE__: empty key", environment: ["EDGEPRUNE__": "1"])
        ConfigTestKit.assertRefused(base, "EDGEPRUNE__SINKS__5__PATH: sinks has 2 entries; there is no entry 5",
                                    environment: ["EDGEPRUNE__SINKS__5__PATH": "/x"])
        ConfigTestKit.assertRefused(base, "EDGEPRUNE__SINKS__FIRST: sinks is a list; select an entry by number",
                                    environment: ["EDGEPRUNE__SINKS__FIRST": "x"])
        ConfigTestKit.assertRefused(base, "EDGEPRUNE__HTTP__PORT__VALUE: http.port is a single value",
                                    environment: ["EDGEPRUNE__HTTP__PORT__VALUE": "1"])
        ConfigTestKit.assertRefused(base, "EDGEPRUNE__DEVICE__GROUPS is not a YAML value", environment: ["EDGEPRUNE__DEVICE__GROUPS": "[a, b"])
    }

    func testOverridesApplyToLoadedFilesToo() throws {
        let dir = ConfigTestKit.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = ConfigTestKit.write(dir, "config.yaml", base)
        let c = try DaemonConfig.load(path: path, environment: ["EDGEPRUNE__HTTP__BIND": "0.0.0.0"], options: ConfigTestKit.options)
        XCTAssertEqual(c.http.bind, "0.0.0.0")
    }
}
