// swift-tools-version:6.1
// EdgePrune: an inference runtime for pruned neural networks on Raspberry-Pi-class boards.
import PackageDescription

// Kernels are compiled with full optimisation even in debug builds: tests run them on
// thousands of random shapes, and a -O0 GEMM would dominate the test time.
let kernelFlags: [CSetting] = [.unsafeFlags(["-O3", "-fno-math-errno"])]

let package = Package(
    name: "EdgePrune",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "edgeprune", targets: ["edgeprune"]),
        .library(name: "EdgePruneCore", targets: ["EdgePruneCore"]),
        .library(name: "EdgePruneONNX", targets: ["EdgePruneONNX"]),
        .library(name: "EdgePrunePruning", targets: ["EdgePrunePruning"]),
        .library(name: "EdgePruneDevice", targets: ["EdgePruneDevice"]),
        .library(name: "EdgePruneAdaptive", targets: ["EdgePruneAdaptive"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        // BEGIN daemon deps
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // No default traits: swift-configuration support and full Foundation are not used, and
        // leaving them out keeps the stripped binary under 20 MB.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        // END daemon deps
    ],
    targets: [
        // Pure C microkernels over raw pointers: no allocation, no graph, no threads.
        .target(name: "CEdgeKernels", cSettings: kernelFlags),
        // The runtime: tensors, graph IR, shape inference, ops, planner, executor, .epm format.
        .target(
            name: "EdgePruneCore",
            dependencies: ["CEdgeKernels", .product(name: "Atomics", package: "swift-atomics")]),
        // ONNX import (Swift generated from onnx.proto, committed; see scripts/gen_onnx_proto.sh).
        .target(
            name: "EdgePruneONNX",
            dependencies: ["EdgePruneCore", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // Pruning toolkit: importance scores, masks, nested sparsity ladders, structured
        // compaction, evaluation.
        .target(name: "EdgePrunePruning", dependencies: ["EdgePruneCore"]),
        // Training for recovery: backward passes for the op set, masked fine-tuning, gradient
        // importance. Optimised even in debug builds: its generic loops are unusable unoptimised.
        .target(name: "EdgePruneTraining", dependencies: ["EdgePruneCore", "EdgePrunePruning"],
                swiftSettings: [.unsafeFlags(["-O"])]),
        .testTarget(
            name: "EdgePruneTrainingTests", dependencies: ["EdgePruneTraining", "EdgePruneCore", "EdgePrunePruning", "EdgePruneONNX"]),
        // Device access: energy meters (hwmon, RAPL, vcgencmd) and board profiles.
        .target(name: "EdgePruneDevice", dependencies: ["EdgePruneCore", "CEdgeGPIO"]),
        // The adaptive runtime: monitors, controller, level switching, simulation.
        .target(
            name: "EdgePruneAdaptive",
            dependencies: ["EdgePruneCore", "EdgePrunePruning", "EdgePruneDevice",
                           .product(name: "Atomics", package: "swift-atomics")]),
        // BEGIN sensors
        // GPIO through libgpiod: a thin C shim compiled against v1 (1.6) or v2 (2.x), chosen from
        // <gpiod.h> at compile time (see Sources/CEdgeGPIO/edge_gpio.c and docs/sensors.md).
        .target(name: "CEdgeGPIO", linkerSettings: [.linkedLibrary("gpiod")]),
        // END sensors
        // BEGIN daemon
        // The daemon's building blocks: crash-safe state directory, signed and versioned configs,
        // the YAML config schema, and the control interface the HTTP API and MQTT drive.
        .target(
            name: "EdgePruneDaemon",
            dependencies: ["EdgePruneCore", "EdgePruneDevice", "EdgePruneAdaptive",
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "EdgePruneDaemonTests", dependencies: ["EdgePruneDaemon", "EdgePruneCore", "EdgePruneDevice", "EdgePruneAdaptive"]),
        // libmosquitto (pkg-config libmosquitto), the MQTT client library.
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto",
                       providers: [.apt(["libmosquitto-dev"])]),
        // Fleet config over MQTT: device-shadow topics, signed versioned updates, reconnects.
        .target(
            name: "EdgePruneMQTT",
            dependencies: ["EdgePruneDaemon", "EdgePruneDevice", "CMosquitto", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "EdgePruneMQTTTests", dependencies: ["EdgePruneMQTT", "EdgePruneDaemon", "DaemonTestSupport"]),
        // The HTTP control API (Hummingbird) and Prometheus metrics.
        .target(
            name: "EdgePruneHTTP",
            dependencies: ["EdgePruneDaemon",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "Prometheus", package: "swift-prometheus")]),
        .testTarget(
            name: "EdgePruneHTTPTests",
            dependencies: ["EdgePruneHTTP", "EdgePruneDaemon", "DaemonTestSupport"]),
        // `edgeprune serve`: sources -> windows -> adaptive inference -> sinks, wired to the HTTP
        // API, MQTT, persistence, systemd, on-device recovery and a graceful shutdown.
        .target(
            name: "EdgePruneServe",
            dependencies: ["EdgePruneDaemon", "EdgePruneMQTT", "EdgePruneHTTP", "EdgePruneAdaptive", "EdgePruneDevice",
                           "EdgePruneCore", "EdgePruneONNX", "EdgePrunePruning", "EdgePruneTraining",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        // Test-only: a real Mosquitto broker per test, a raw HTTP/1.1 client, MQTT recorders.
        .target(
            name: "DaemonTestSupport", dependencies: ["EdgePruneMQTT"], path: "Tests/DaemonTestSupport"),
        .testTarget(
            name: "EdgePruneServeTests",
            dependencies: ["EdgePruneServe", "EdgePruneDaemon", "EdgePruneDevice", "EdgePruneCore", "EdgePruneAdaptive",
                           "EdgePruneONNX", "EdgePruneMQTT", "EdgePrunePruning", "EdgePruneTraining", "DaemonTestSupport",
                           .product(name: "Logging", package: "swift-log")]),
        // END daemon
        .executableTarget(
            name: "edgeprune",
            dependencies: [
                "EdgePruneCore", "EdgePruneONNX", "EdgePrunePruning", "EdgePruneTraining", "EdgePruneDevice",
                "EdgePruneAdaptive", "EdgePruneDaemon", "EdgePruneServe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Identical code folding (safe mode) in release: the daemon binary stays under 20 MiB
            // stripped (issue 6's target; README, "The daemon").
            linkerSettings: [.unsafeFlags(["-Xlinker", "--icf=safe"], .when(platforms: [.linux], configuration: .release))]),
        // Test-only: counts heap allocations on the calling thread (interposes malloc).
        .target(name: "CTestSupport", path: "Tests/CTestSupport"),
        .testTarget(name: "CEdgeKernelsTests", dependencies: ["CEdgeKernels"]),
        .testTarget(
            name: "EdgePruneCoreTests", dependencies: ["EdgePruneCore", "CTestSupport"],
            resources: []),
        .testTarget(
            name: "EdgePruneONNXTests", dependencies: ["EdgePruneONNX", "EdgePruneCore", "EdgePrunePruning"]),
        .testTarget(
            name: "EdgePrunePruningTests", dependencies: ["EdgePrunePruning", "EdgePruneCore", "EdgePruneONNX"]),
        .testTarget(name: "EdgePruneDeviceTests", dependencies: ["EdgePruneDevice", "EdgePruneCore"]),
        .testTarget(
            name: "EdgePruneAdaptiveTests",
            dependencies: ["EdgePruneAdaptive", "EdgePruneDevice", "EdgePrunePruning", "EdgePruneCore", "EdgePruneONNX"]),
    ]
)
