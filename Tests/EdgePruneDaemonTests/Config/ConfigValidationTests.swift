import EdgePruneAdaptive
import EdgePruneCore
@testable import EdgePruneDaemon
import EdgePruneDevice
import Foundation
import XCTest

/// One test per family of rules; every refusal must name the key path (and the line when the
/// value came from the document).
final class ConfigValidationTests: XCTestCase {
    private let minimal = ConfigTestKit.minimal

    private func refused(_ yaml: String, _ parts: String..., file: StaticString = #filePath, line: UInt = #line) {
        guard let e = ConfigTestKit.error(yaml, file: file, line: line) else { return }
        for part in parts {
            XCTAssertTrue(e.message.contains(part), "'\(e.message)' does not contain '\(part)'", file: file, line: line)
        }
    }

    func testDefaultsOfAMinimalDocument() throws {
        let c = try ConfigTestKit.parse(minimal)
        XCTAssertEqual(c.device.id, "test-host")
        XCTAssertEqual(c.device.groups, [])
        XCTAssertEqual(c.device.board, .auto)
        XCTAssertEqual(c.model, .init(path: nil, threads: 1, level: 0, normalization: .none))
        XCTAssertEqual(c.source, .stdin(.init()))
        XCTAssertEqual(c.window, .init(size: 1, hop: 1, layout: .timeMajor))
        XCTAssertEqual(c.queue, .init(capacity: 64, policy: .dropOldest))
        XCTAssertEqual(c.budgets, .init())
        XCTAssertNil(c.budgets.latencyP95Ms)
        XCTAssertEqual(c.budgets.priority, .accuracyFirst)
        let runtime = ControllerConfig(), runner = RunnerOptions(controller: runtime)
        XCTAssertEqual(c.controller.hysteresis, runtime.hysteresisBand)
        XCTAssertEqual(c.controller.cooldownInferences, runtime.cooldownInferences)
        XCTAssertEqual(c.controller.cooldownSeconds, runtime.cooldownSeconds)
        XCTAssertEqual(c.controller.minLevel, 0)
        XCTAssertNil(c.controller.maxLevel)
        XCTAssertEqual(c.controller.shadowFraction, runner.shadowFraction)
        XCTAssertEqual(c.controller.labelMaxAgeSeconds, runner.labelMaxAge)
        XCTAssertEqual(c.sinks, [])
        XCTAssertEqual(c.http, .init(enabled: false))
        XCTAssertEqual(c.http.port, 8080)
        XCTAssertEqual(c.http.bind, "127.0.0.1")
        XCTAssertEqual(c.mqtt, .init())
        XCTAssertEqual(c.mqtt.port, 1883)
        XCTAssertEqual(c.mqttClientID, "edgeprune-test-host")
        XCTAssertEqual(c.state, .init(directory: "/var/lib/edgeprune", persistIntervalSeconds: 30))
        XCTAssertEqual(c.log.level, .info)
        // The host name is sanitised into an id.
        XCTAssertEqual(DaemonConfig.Device.defaultID(hostname: "Küche PC#2.local"), "K-che-PC-2.local")
        XCTAssertEqual(DaemonConfig.Device.defaultID(hostname: ""), "edgeprune")
        XCTAssertEqual(DaemonConfig.Device.defaultID(hostname: String(repeating: "a", count: 80)).count, 64)
        XCTAssertTrue(ConfigTarget.isValidName(DaemonConfig.Device().id), "this machine's default id is invalid")
    }

    func testUnknownKeysAreRefusedWithTheirPath() {
        refused(minimal + "sources: {}\n", "unknown key 'sources'", "did you mean 'source'?", "line 3")
        refused(minimal + "budgets: {latency_p99_ms: 3}\n", "unknown key 'budgets.latency_p99_ms'", "did you mean 'latency_p95_ms'?")
        refused(minimal + "sinks:\n  - {type: stdout}\n  - {type: stdout}\n  - {type: file, path: /tmp/x, colour: red}\n",
                "config: unknown key 'sinks[2].colour'", "line 6")
        refused("source: {stdin: {}, udp: {port: 1}, tcp: {}}\n", "unknown key 'source.tcp'")
        refused("source: {stdin: {rate: 3}}\n", "unknown key 'source.stdin.rate'")
        refused(minimal + "mqtt: {tls: {ca: /x}}\n", "unknown key 'mqtt.tls.ca'", "did you mean 'ca_file'?")
        refused("source: {gpio: {chip: gpiochip0, trigger: {line: 1, edges: both}}}\nhttp: {enabled: false}\n",
                "unknown key 'source.gpio.trigger.edges'")
        refused(minimal + "model: {normalization: {mean: [0], std: [1], scale: 2}}\n", "unknown key 'model.normalization.scale'")
    }

    func testTypesAreCheckedWithTheLine() {
        refused("source: {udp: {port: eighty}}\nhttp: {enabled: false}\n", "source.udp.port must be an integer, got 'eighty'", "line 1")
        refused("source: {udp: {port: 9000.5}}\nhttp: {enabled: false}\n", "source.udp.port must be an integer, got 9000.5")
        refused("source: {udp: {port: \"9000\"}}\nhttp: {enabled: false}\n", "source.udp.port must be an integer, got '9000'")
        refused("source: {udp: {port: 99999999999999999999}}\nhttp: {enabled: false}\n", "source.udp.port is out of range")
        refused(minimal + "budgets:\n  latency_p95_ms: 5ms\n", "budgets.latency_p95_ms must be a number, got '5ms'", "line 4")
        refused(minimal + "budgets: {power_w: .inf}\n", "budgets.power_w must be a number")
        refused(minimal + "queue: {capacity: [1]}\n", "queue.capacity must be an integer, got a list")
        refused(minimal + "mqtt: {enabled: yes}\n", "mqtt.enabled must be true or false, got 'yes'")
        refused(minimal + "device: {groups: kitchen}\n", "device.groups must be a list, got 'kitchen'")
        refused(minimal + "device: {groups: [a, [b]]}\n", "device.groups[1] must be a string, got a list")
        refused(minimal + "log: {level: verbose}\n", "log.level must be one of trace, debug, info, notice, warning, error, critical, got 'verbose'")
        refused(minimal + "queue: {policy: drop-random}\n", "queue.policy must be one of drop-oldest, drop-newest, block")
        refused(minimal + "budgets: {priority: latency-first}\n", "budgets.priority must be one of accuracy-first, budget-first")
        refused(minimal + "device: [a]\n", "device must be a mapping of keys, got a list")
        refused(minimal + "device: {id: null}\n", "device.id must be a string, got null")
    }

    func testDeviceRules() {
        refused(minimal + "device: {id: \"pi kitchen\"}\n", "device.id must be 1-64 characters", "'pi kitchen'", "line 3")
        refused(minimal + "device: {id: \(String(repeating: "a", count: 65))}\n", "device.id must be 1-64")
        refused(minimal + "device: {id: \"a/b\"}\n", "device.id")
        refused(minimal + "device: {groups: [ok, \"bad+group\"]}\n", "device.groups[1] must be 1-64 characters", "'bad+group'")
        refused(minimal + "device: {groups: [a, a]}\n", "device.groups[1] repeats group 'a'")
        refused(minimal + "device: {board: pi3}\n", "device.board must be auto, pi4, pi5, zero2w, x86_64-generic or a path to a JSON profile, got 'pi3'")
        XCTAssertEqual(try ConfigTestKit.parse(minimal + "device: {board: ./boards/mine.json}\n").device.board, .file("./boards/mine.json"))
        XCTAssertEqual(try ConfigTestKit.parse(minimal + "device: {board: custom.JSON}\n").device.board, .file("custom.JSON"))
    }

    func testModelRules() throws {
        refused(minimal + "model: {path: /var/lib/model.tflite}\n", "model.path must name a .epm or .onnx file")
        refused(minimal + "model: {threads: 0}\n", "model.threads must be an integer in 1...64, got 0")
        refused(minimal + "model: {level: -1}\n", "model.level must be a ladder level in 0...1000, got -1")
        refused(minimal + "model: {normalization: standard}\n", "model.normalization must be one of none, model")
        refused(minimal + "model: {normalization: {mean: [0, 1], std: [1]}}\n", "model.normalization:", "as many std values as mean values")
        refused(minimal + "model: {normalization: {mean: [0], std: [0]}}\n", "model.normalization:", "std[0]")
        refused(minimal + "model: {normalization: {mean: [0]}}\n", "model.normalization needs both mean and std")
        let c = try ConfigTestKit.parse(minimal + "model: {path: M.ONNX, threads: 4, level: 3, normalization: {mean: [1, 2], std: [3, 4]}}\n")
        XCTAssertEqual(c.model.path, "M.ONNX")
        XCTAssertEqual(c.model.normalization, .explicit(try Normalization(mean: [1, 2], std: [3, 4])))
        XCTAssertEqual(try ConfigTestKit.parse(minimal + "model: {normalization: model}\n").model.normalization, .model)
    }

    func testExactlyOneSourceKind() {
        refused("http: {enabled: false}\n", "source is required")
        refused("source: {}\nhttp: {enabled: false}\n", "source must name exactly one kind (replay, stdin, udp, gpio, iio), none given")
        refused("source:\nhttp: {enabled: false}\n", "none given")
        refused("source: {stdin: {}, udp: {port: 9000}}\nhttp: {enabled: false}\n", "exactly one kind", "got 2: stdin, udp")
        refused("source: stdin\nhttp: {enabled: false}\n", "source must be a mapping of keys, got 'stdin'")
    }

    func testReplayStdinAndUDPRules() throws {
        refused("source: {replay: {rate: 10}}\nhttp: {enabled: false}\n", "source.replay.path is required")
        refused("source: {replay: {path: data.txt}}\nhttp: {enabled: false}\n", "source.replay.path must name a .npy or .csv file")
        refused("source: {replay: {path: d.npy, rate: -1}}\nhttp: {enabled: false}\n", "source.replay.rate must be", "got -1", "line 1")
        refused("source: {stdin: {channels: 0}}\nhttp: {enabled: false}\n", "source.stdin.channels must be in 1...65536, got 0")
        refused("source: {udp: {}}\nhttp: {enabled: false}\n", "source.udp.port is required")
        refused("source: {udp: {port: 70000}}\nhttp: {enabled: false}\n", "source.udp.port must be a port in 0...65535, got 70000")
        refused("source: {udp: {port: 9000, bind: localhost}}\nhttp: {enabled: false}\n", "source.udp.bind must be an IPv4 address")
        refused("source: {udp: {port: 9000, payload: json}}\nhttp: {enabled: false}\n", "source.udp.payload must be one of text, f32le")
        let replay = try ConfigTestKit.parse("source: {replay: {path: /d/x.CSV, rate: 0}}\nhttp: {enabled: false}\n")
        guard case .replay(let r) = replay.source else { return XCTFail() }
        XCTAssertEqual(r.format, .csv)
        XCTAssertNil(r.sourceRate, "rate 0 replays as fast as possible")
    }

    func testGPIOSourceRules() throws {
        func gpio(_ body: String, board: String = "auto") -> String {
            "source: {gpio: {\(body)}}\nhttp: {enabled: false}\ndevice: {board: \(board)}\n"
        }
        refused(gpio("lines: [1]"), "source.gpio.chip is required")
        refused(gpio("chip: gpiochip0, lines: [17]"), "source.gpio needs a trigger ({line, edge}) or interval_seconds")
        refused(gpio("chip: gpiochip0, lines: [17], trigger: {line: 22}, interval_seconds: 1"), "not both")
        refused(gpio("chip: gpiochip0, interval_seconds: 0.01"), "source.gpio.lines must name at least one input line")
        refused(gpio("chip: gpiochip0, lines: [17], interval_seconds: 0"), "source.gpio.interval_seconds must be in (0, 3600], got 0")
        refused(gpio("chip: gpiochip0, trigger: {edge: rising}"), "source.gpio.trigger.line is required")
        refused(gpio("chip: gpiochip0, trigger: {line: 1, lines: [2]}"), "source.gpio.trigger takes line or lines, not both")
        refused(gpio("chip: gpiochip0, trigger: {line: 22, edge: up}"), "source.gpio.trigger.edge must be one of rising, falling, both")
        refused(gpio("chip: gpiochip0, lines: [17, 22], trigger: {line: 22}"), "source.gpio.trigger.line 22 is also an input line")
        refused(gpio("chip: gpiochip0, lines: [17, 17], interval_seconds: 1"), "source.gpio.lines names line 17 twice")
        refused(gpio("chip: gpiochip0, lines: [-3], interval_seconds: 1"), "source.gpio.lines[0] must be a line offset")
        refused(gpio("chip: gpiochip0, lines: [17], trigger: {line: 22}, bias: pull-sideways"), "source.gpio.bias must be one of as-is, disable, pull-up, pull-down")
        // A built-in board knows its header: names and offsets are checked against it.
        refused(gpio("chip: gpiochip0, lines: [GPIO71], interval_seconds: 1", board: "pi4"), "line 'GPIO71' is not a header line of pi4")
        refused(gpio("chip: gpiochip0, lines: [60], interval_seconds: 1", board: "pi5"), "line 60 is beyond pi5's pinctrl-rp1 (54 lines)")
        refused(gpio("chip: gpiochip0, lines: [1], interval_seconds: 1", board: "x86_64-generic"), "board x86_64-generic has no GPIO header")
        XCTAssertNoThrow(try ConfigTestKit.parse(gpio("chip: gpiochip4, lines: [GPIO17], trigger: {line: GPIO27}", board: "pi5")))
        // Another chip (an I2C expander, say) is not the header: no board check.
        XCTAssertNoThrow(try ConfigTestKit.parse(gpio("chip: gpiochip2, lines: [GPIO71], interval_seconds: 1", board: "pi4")))
        let c = try ConfigTestKit.parse(gpio("chip: gpiochip0, lines: [GPIO5, 6], trigger: {lines: [13, 19], edge: both}, active_low: true, bias: pull-up"))
        guard case .gpio(let g) = c.source else { return XCTFail() }
        XCTAssertEqual(g.lines, [.name("GPIO5"), .offset(6)])
        XCTAssertEqual(g.trigger, .init(lines: [.offset(13), .offset(19)], edge: .both))
        XCTAssertEqual(g.flags, [.activeLow, .pullUp])
    }

    func testIIOSourceRules() throws {
        func iio(_ body: String) -> String { "source: {iio: {\(body)}}\nhttp: {enabled: false}\n" }
        refused(iio("channels: [accel_x]"), "source.iio.device is required")
        refused(iio("device: adxl345"), "source.iio.channels must name at least one channel when polling sysfs")
        refused(iio("device: adxl345, channels: [accel_x], rate: 0"), "source.iio.rate must be polls per second in (0, 100000], got 0")
        refused(iio("device: adxl345, channels: [\"accel x\"]"), "source.iio.channels[0] must be an IIO channel id")
        refused(iio("device: adxl345, buffered: true, rate: 100"), "source.iio.rate applies to sysfs polling")
        refused(iio("device: adxl345, buffered: true, buffer_length: 0"), "source.iio.buffer_length must be in 1...1048576, got 0")
        let c = try ConfigTestKit.parse(iio("device: adxl345, channels: [in_accel_x_raw, in_temp_input, accel_y]"))
        guard case .iio(let i) = c.source else { return XCTFail() }
        XCTAssertEqual(i.channels, ["accel_x", "temp", "accel_y"])
        XCTAssertEqual(i.interval, 0.01, accuracy: 1e-12)
        XCTAssertEqual(i.sysfsRoot, "/sys/bus/iio/devices")
        XCTAssertNoThrow(try ConfigTestKit.parse(iio("device: adxl345, buffered: true")), "buffered with no channels enables all")
    }

    func testWindowAndQueueRules() throws {
        refused(minimal + "window: {size: 0}\n", "window.size must be in 1...1048576 samples, got 0")
        refused(minimal + "window: {hop: 2000000}\n", "window.hop must be in 1...1048576 samples, got 2000000")
        refused(minimal + "window: {layout: row-major}\n", "window.layout must be one of time-major, channel-major")
        refused(minimal + "queue: {capacity: 0}\n", "queue.capacity must be in 1...1048576 windows, got 0")
        refused(minimal + "queue: {block_timeout_seconds: 1}\n", "queue.block_timeout_seconds applies only to policy: block")
        refused(minimal + "queue: {policy: block, block_timeout_seconds: -1}\n", "queue.block_timeout_seconds must be in (0, 3600], got -1")
        let c = try ConfigTestKit.parse(minimal + "queue: {policy: block, block_timeout_seconds: 0.5}\nwindow: {size: 32, hop: 8, layout: channel-major}\n")
        XCTAssertEqual(c.backpressurePolicy, .block)
        XCTAssertEqual(c.queue.blockTimeoutSeconds, 0.5)
        XCTAssertEqual(c.window, .init(size: 32, hop: 8, layout: .channelMajor))
    }

    func testBudgetRules() throws {
        refused(minimal + "budgets:\n  latency_p95_ms: -3\n", "config: budgets.latency_p95_ms must be a number > 0, got -3 (line 4)")
        refused(minimal + "budgets: {latency_p95_ms: 0}\n", "budgets.latency_p95_ms must be a number > 0, got 0")
        refused(minimal + "budgets: {energy_mj: -0.5}\n", "budgets.energy_mj must be a number > 0, got -0.5")
        refused(minimal + "budgets: {power_w: 0}\n", "budgets.power_w must be a number > 0")
        refused(minimal + "budgets: {accuracy_floor: 1.5}\n", "budgets.accuracy_floor must be a fraction in (0, 1], got 1.5")
        refused(minimal + "budgets: {accuracy_floor: 0}\n", "budgets.accuracy_floor must be a fraction in (0, 1], got 0")
        let c = try ConfigTestKit.parse(minimal + "budgets: {latency_p95_ms: 4, energy_mj: 2, power_w: 3.5, accuracy_floor: 1, priority: budget-first}\n")
        XCTAssertEqual(c.budgets, .init(latencyP95Ms: 4, energyMJ: 2, powerW: 3.5, accuracyFloor: 1, priority: .budgetFirst))
        XCTAssertNil(try ConfigTestKit.parse(minimal + "budgets: {latency_p95_ms: null}\n").budgets.latencyP95Ms)
    }

    func testControllerRules() throws {
        refused(minimal + "controller: {hysteresis: 1}\n", "controller.hysteresis must be in [0, 1), got 1")
        refused(minimal + "controller: {cooldown_inferences: -1}\n", "controller.cooldown_inferences must be >= 0, got -1")
        refused(minimal + "controller: {cooldown_seconds: -0.5}\n", "controller.cooldown_seconds must be >= 0, got -0.5")
        refused(minimal + "controller: {min_level: -1}\n", "controller.min_level must be >= 0, got -1")
        refused(minimal + "controller: {min_level: 3, max_level: 2}\n", "controller.max_level must be >= controller.min_level (3), got 2")
        refused(minimal + "controller: {shadow_fraction: 1.5}\n", "controller.shadow_fraction must be in [0, 1], got 1.5")
        refused(minimal + "controller: {label_max_age_seconds: 0}\n", "controller.label_max_age_seconds must be > 0, got 0")
        refused(minimal + "controller: {rollback_window_inferences: -5}\n", "controller.rollback_window_inferences must be >= 0")
        refused(minimal + "controller: {rollback_block_seconds: -5}\n", "controller.rollback_block_seconds must be >= 0")
        refused(minimal + "controller: {min_latency_samples: 0}\n", "controller.min_latency_samples must be >= 1, got 0")
        refused(minimal + "controller: {min_feedback: 0}\n", "controller.min_feedback must be >= 1, got 0")
        let c = try ConfigTestKit.parse(minimal + """
            controller:
              hysteresis: 0
              cooldown_inferences: 0
              cooldown_seconds: 0
              min_level: 1
              max_level: 1
              shadow_fraction: 0
              label_max_age_seconds: 5
              rollback_window_inferences: 0
              rollback_block_seconds: 0
              min_latency_samples: 1
              min_feedback: 1

            """)
        XCTAssertEqual(c.controller, .init(hysteresis: 0, cooldownInferences: 0, cooldownSeconds: 0, minLevel: 1, maxLevel: 1,
                                           shadowFraction: 0, labelMaxAgeSeconds: 5, rollbackWindowInferences: 0,
                                           rollbackBlockSeconds: 0, minLatencySamples: 1, minFeedback: 1))
    }

    func testSinkRules() throws {
        refused(minimal + "sinks: {type: stdout}\n", "sinks must be a list, got a mapping")
        refused(minimal + "sinks: [{path: /x}]\n", "sinks[0].type is required")
        refused(minimal + "sinks: [{type: syslog}]\n", "sinks[0].type must be one of stdout, file, gpio, mqtt, got 'syslog'")
        refused(minimal + "sinks: [{type: stdout, path: /x}]\n", "unknown key 'sinks[0].path'")
        refused(minimal + "sinks: [{type: file}]\n", "sinks[0].path is required")
        refused(minimal + "sinks: [{type: file, path: /a, max_bytes: 100}]\n", "sinks[0].max_bytes must be in 4096...")
        refused(minimal + "sinks: [{type: file, path: /a, keep: 0}]\n", "sinks[0].keep must be in 1...100 rotated files, got 0")
        refused(minimal + "sinks: [{type: file, path: /a}, {type: stdout}, {type: file, path: /a}]\n", "sinks[2].path '/a' is also sinks[0]'s file")
        refused(minimal + "sinks: [{type: gpio, line: 18, on_classes: [1]}]\n", "sinks[0].chip is required")
        refused(minimal + "sinks: [{type: gpio, chip: gpiochip0, on_classes: [1]}]\n", "sinks[0].line is required")
        refused(minimal + "sinks: [{type: gpio, chip: gpiochip0, line: 18}]\n", "sinks[0].on_classes is required")
        refused(minimal + "sinks: [{type: gpio, chip: gpiochip0, line: 18, on_classes: []}]\n", "sinks[0].on_classes must name at least one class")
        refused(minimal + "sinks: [{type: gpio, chip: gpiochip0, line: 18, on_classes: [-1]}]\n", "sinks[0].on_classes[0] must be a class index >= 0")
        refused(minimal + "sinks: [{type: gpio, chip: gpiochip0, line: 18, on_classes: [1], on: 2}]\n", "sinks[0].on must be 0 or 1, got 2")
        refused(minimal + "sinks: [{type: gpio, chip: c, line: 18, on_classes: [1]}, {type: gpio, chip: c, line: 18, on_classes: [2]}]\n",
                "sinks[1].line 18 on c is also sinks[0]'s line")
        refused("source: {gpio: {chip: gpiochip0, lines: [18], interval_seconds: 1}}\nhttp: {enabled: false}\nsinks: [{type: gpio, chip: gpiochip0, line: 18, on_classes: [1]}]\n",
                "sinks[0].line 18 on gpiochip0 is also a source.gpio line")
        refused(minimal + "sinks: [{type: mqtt}]\n", "sinks[0] is an mqtt sink, which needs mqtt.enabled: true")
        let mqtt = "mqtt: {enabled: true, fleet_keys: [/k.pub]}\n"
        refused(minimal + mqtt + "sinks: [{type: mqtt, topic: \"a/+/b\"}]\n", "sinks[0].topic must not contain '+'")
        refused(minimal + mqtt + "sinks: [{type: mqtt, topic: \"a/{group}\"}]\n", "sinks[0].topic has an unknown placeholder '{group}' (only {device})")
        refused(minimal + mqtt + "sinks: [{type: mqtt, topic: \"/a\"}]\n", "sinks[0].topic must not start or end with '/'")
        refused(minimal + mqtt + "sinks: [{type: mqtt, qos: 3}]\n", "sinks[0].qos must be 0, 1 or 2, got 3")
        refused(minimal + mqtt + "sinks: [{type: mqtt, every: 0}]\n", "sinks[0].every must be in 1...1000000, got 0")
        refused(minimal + "sinks: [" + Array(repeating: "{type: stdout}", count: 17).joined(separator: ", ") + "]\n", "sinks has 17 entries; at most 16")
        let c = try ConfigTestKit.parse(minimal + mqtt + "sinks: [{type: mqtt, every: 5}, {type: gpio, chip: gpiochip0, line: GPIO18, on_classes: [1, 3], on: 0}]\n")
        guard case .mqtt(let m) = c.sinks[0] else { return XCTFail() }
        XCTAssertEqual(c.topic(for: m), "edgeprune/devices/test-host/inference")
        XCTAssertEqual(c.sinks[1], .gpio(.init(chip: "gpiochip0", line: .name("GPIO18"), onClasses: [1, 3], on: 0)))
    }

    func testHTTPRules() throws {
        let src = "source: {stdin: {}}\n"
        refused(src, "http.token_file is required when http.enabled is true")
        refused(src + "http: {token_file: /t, port: -1}\n", "http.port must be a port in 0...65535, got -1")
        refused(src + "http: {token_file: /t, bind: \"not a host!\"}\n", "http.bind must be an IP address or a host name")
        refused(src + "http: {token_file: /t, max_body_bytes: 10}\n", "http.max_body_bytes must be in 1024...")
        refused(src + "http: {token_file: /t, max_model_bytes: 99999999999}\n", "http.max_model_bytes must be in 1024...")
        refused(src + "http: {token_file: \"\"}\n", "http.token_file is an empty path")
        for bind in ["0.0.0.0", "::1", "::", "localhost", "pi-kitchen.local"] {
            XCTAssertEqual(try ConfigTestKit.parse(src + "http: {token_file: /t, bind: \"\(bind)\", port: 0}\n").http.bind, bind)
        }
    }

    func testMQTTRules() throws {
        let m = minimal + "mqtt:\n  enabled: true\n  fleet_keys: [/etc/edgeprune/fleet.pub]\n"
        refused(minimal + "mqtt: {enabled: true}\n", "mqtt.fleet_keys must list at least one PEM public key file when mqtt.enabled is true")
        refused(m + "  port: 0\n", "mqtt.port must be a port in 1...65535, got 0", "line 6")
        refused(m + "  host: \"\"\n", "mqtt.host must be an IP address or a host name")
        refused(m + "  client_id: \"a b\"\n", "mqtt.client_id must be 1-128 characters without blanks")
        refused(m + "  password_file: /p\n", "mqtt.password_file needs mqtt.username")
        refused(m + "  username: \"\"\n", "mqtt.username is empty")
        refused(m + "  tls: {cert_file: /c}\n", "mqtt.tls.ca_file is required with TLS")
        refused(m + "  tls: {ca_file: /ca, cert_file: /c}\n", "mqtt.tls.key_file is required: a client certificate needs both")
        refused(m + "  keepalive_seconds: 2\n", "mqtt.keepalive_seconds must be in 5...65535, got 2")
        refused(m + "  reconnect_min_seconds: 0\n", "mqtt.reconnect_min_seconds must be in (0, 3600], got 0")
        refused(m + "  reconnect_min_seconds: 10\n  reconnect_max_seconds: 5\n", "mqtt.reconnect_max_seconds must be in mqtt.reconnect_min_seconds (10)...86400, got 5")
        refused(m + "  topic_prefix: \"fleet/#\"\n", "mqtt.topic_prefix must not contain '#'")
        refused(m + "  topic_prefix: \"a//b\"\n", "mqtt.topic_prefix must not start or end with '/' or hold an empty level")
        refused(m + "  topic_prefix: \"{device}\"\n", "mqtt.topic_prefix has an unknown placeholder '{device}'")
        refused((m + "  fleet_keys: [\"\"]\n").replacingOccurrences(of: "  fleet_keys: [/etc/edgeprune/fleet.pub]\n", with: ""), "mqtt.fleet_keys[0] is an empty path")
        // Disabled, nothing is required (but what is given is still checked).
        XCTAssertNoThrow(try ConfigTestKit.parse(minimal + "mqtt: {enabled: false, port: 8883}\n"))
        refused(minimal + "mqtt: {enabled: false, port: 0}\n", "mqtt.port must be a port")
        let c = try ConfigTestKit.parse(m + "  client_id: box-7\n  username: u\n  password_file: /p\n  tls: {ca_file: /ca, cert_file: /c, key_file: /k, insecure: true}\n")
        XCTAssertEqual(c.mqttClientID, "box-7")
        XCTAssertEqual(c.mqtt.tls, .init(caFile: "/ca", certFile: "/c", keyFile: "/k", insecure: true))
        XCTAssertNil(try ConfigTestKit.parse(m + "  tls: null\n").mqtt.tls)
    }

    func testStateAndLogRules() throws {
        refused(minimal + "state: {directory: \"\"}\n", "state.directory is empty")
        refused(minimal + "state: {persist_interval_seconds: 0}\n", "state.persist_interval_seconds must be in 1...86400, got 0")
        let c = try ConfigTestKit.parse(minimal + "state: {directory: /srv/ep, persist_interval_seconds: 5}\nlog: {level: debug}\n")
        XCTAssertEqual(c.state, .init(directory: "/srv/ep", persistIntervalSeconds: 5))
        XCTAssertEqual(c.log.level, .debug)
    }

    func testFileChecksNameTheKeyAndTheFile() throws {
        let dir = ConfigTestKit.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let token = ConfigTestKit.write(dir, "token", "0123456789abcdef0123")
        let key = ConfigTestKit.write(dir, "keys/fleet.pub", "-----BEGIN PUBLIC KEY-----\n")
        let data = ConfigTestKit.write(dir, "data/x.npy", "")
        let board = ConfigTestKit.write(dir, "board.json", "{}")
        let checked = DaemonConfig.ParseOptions(checkFiles: true, hostname: "h", baseDirectory: dir)
        func doc(_ extra: String = "") -> String {
            "source: {replay: {path: data/x.npy}}\nhttp: {token_file: token}\nmqtt: {enabled: true, fleet_keys: [keys/fleet.pub]}\ndevice: {board: board.json}\n" + extra
        }
        // Relative paths are taken from the base directory (load(path:) uses the file's own).
        let c = try ConfigTestKit.parse(doc(), options: checked)
        XCTAssertEqual(c.http.tokenFile, token)
        XCTAssertEqual(c.mqtt.fleetKeys, [key])
        XCTAssertEqual(c.device.board, .file(board))
        guard case .replay(let r) = c.source else { return XCTFail() }
        XCTAssertEqual(r.path, data)

        func refusedChecked(_ yaml: String, _ parts: String..., file: StaticString = #filePath, line: UInt = #line) {
            guard let e = ConfigTestKit.error(yaml, options: checked, file: file, line: line) else { return }
            for part in parts { XCTAssertTrue(e.message.contains(part), "'\(e.message)' lacks '\(part)'", file: file, line: line) }
        }
        refusedChecked(doc().replacingOccurrences(of: "data/x.npy", with: "data/y.npy"),
                       "source.replay.path '\(dir)/data/y.npy' cannot be used: No such file or directory")
        refusedChecked(doc().replacingOccurrences(of: "token_file: token", with: "token_file: keys"), "http.token_file '\(dir)/keys' is not a regular file")
        refusedChecked(doc().replacingOccurrences(of: "keys/fleet.pub", with: "keys/other.pub"), "mqtt.fleet_keys[0]")
        refusedChecked(doc("mqtt: {}\n").replacingOccurrences(of: "mqtt: {enabled: true, fleet_keys: [keys/fleet.pub]}\n", with: "")
                        .replacingOccurrences(of: "board: board.json", with: "board: nope.json"), "device.board '\(dir)/nope.json'")
        // TLS files are checked when MQTT is on.
        var tlsDoc = doc().replacingOccurrences(of: "fleet_keys: [keys/fleet.pub]", with: "fleet_keys: [keys/fleet.pub], tls: {ca_file: ca.pem}")
        refusedChecked(tlsDoc, "mqtt.tls.ca_file '\(dir)/ca.pem'")
        ConfigTestKit.write(dir, "ca.pem", "x")
        XCTAssertNoThrow(try ConfigTestKit.parse(tlsDoc, options: checked))
        // An unreadable file (when not running as root, which reads everything).
        if getuid() != 0 {
            ConfigTestKit.write(dir, "secret", "x", mode: 0o000)
            tlsDoc = tlsDoc.replacingOccurrences(of: "token_file: token", with: "token_file: secret")
            refusedChecked(tlsDoc, "http.token_file", "is not readable by this process")
        }
        // Disabled HTTP and MQTT do not need their files; the model path is never checked.
        XCTAssertNoThrow(try ConfigTestKit.parse(
            "source: {replay: {path: data/x.npy}}\nhttp: {enabled: false, token_file: absent}\nmqtt: {fleet_keys: [absent.pub]}\nmodel: {path: absent.epm}\n",
            options: checked))
    }
}
