// swift-tools-version:6.0
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
        // The daemon's building blocks: crash-safe state directory, signed and versioned configs.
        .target(
            name: "EdgePruneDaemon",
            dependencies: ["EdgePruneCore", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "EdgePruneDaemonTests", dependencies: ["EdgePruneDaemon", "EdgePruneCore"]),
        // END daemon
        .executableTarget(
            name: "edgeprune",
            dependencies: [
                "EdgePruneCore", "EdgePruneONNX", "EdgePrunePruning", "EdgePruneDevice", "EdgePruneAdaptive",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
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
