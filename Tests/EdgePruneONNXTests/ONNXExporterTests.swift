import EdgePruneCore
import EdgePrunePruning
import Foundation
import SwiftProtobuf
import XCTest
@testable import EdgePruneONNX

/// The committed models and their inputs, and helpers the export tests share.
enum ExportFixtures {
    static let root = ORTRunner.packageRoot.appendingPathComponent("Tests/Fixtures").path
    /// Fixed kernel choices: the default policy times formats at load and may pick different
    /// (equally valid) kernels for two sessions, whose sums round differently.
    static let fixedKernels = KernelPolicy(linearFormat: "gemm", convFormat: "gemm")

    struct Case {
        let name: String
        let path: String
        let feeds: [String: Tensor]
    }

    /// Every Tests/Fixtures/zoo/<name>/model.onnx with its inputs from the manifest.
    static func zoo() throws -> [Case] {
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/zoo/manifest.json"))) as! [String: Any]
        let entries = manifest["models"] as! [[String: Any]]
        let dirs = try FileManager.default.contentsOfDirectory(atPath: root + "/zoo").sorted()
            .filter { FileManager.default.fileExists(atPath: "\(root)/zoo/\($0)/model.onnx") }
        return try dirs.map { dir in
            guard let entry = entries.first(where: { ($0["dir"] as? String) == "zoo/\(dir)" }) else {
                throw EdgePruneError(.input, "zoo/\(dir) is not in the manifest")
            }
            var feeds: [String: Tensor] = [:]
            for input in entry["inputs"] as! [[String: Any]] {
                feeds[input["name"] as! String] = try NPY.read("\(root)/zoo/\(dir)/\(input["file"] as! String)")
            }
            return Case(name: dir, path: "\(root)/zoo/\(dir)/model.onnx", feeds: feeds)
        }
    }

    /// The four digits models on the 360 test samples.
    static func digits() throws -> [Case] {
        let mlp = try NPY.read(root + "/digits/test_x_mlp.npy"), cnn = try NPY.read(root + "/digits/test_x_cnn.npy")
        return ["digits_mlp", "digits_cnn", "digits_mlp1024", "digits_mlp1024_pruned90"].map { name in
            Case(name: name, path: "\(root)/models/\(name).onnx", feeds: ["input": name == "digits_cnn" ? cnn : mlp])
        }
    }

    /// Feeds keyed by the graph's actual input names (the digits cases name a single input "input").
    static func feeds(_ c: Case, for g: Graph) -> [String: Tensor] {
        let names = g.runtimeInputs.map(\.name)
        if names.count == 1, c.feeds.count == 1 { return [names[0]: c.feeds.values.first!] }
        return c.feeds
    }

    /// The graph's outputs, in declaration order, with fixed kernel choices.
    static func run(_ g: Graph, _ feeds: [String: Tensor], policy: KernelPolicy = fixedKernels) throws -> [Tensor] {
        let session = try InferenceSession(graph: g, policy: policy)
        let results = try session.run(feeds)
        return g.outputs.map { results[$0.name]! }
    }

    static func sameBytes(_ a: Tensor, _ b: Tensor) -> Bool {
        a.type == b.type && memcmp(a.raw, b.raw, a.byteCount) == 0
    }

    static func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
        guard a.shape == b.shape else { return .infinity }
        if a.dtype != .float32 || b.dtype != .float32 { return a.asInts() == b.asInts() ? 0 : .infinity }
        return zip(a.floats, b.floats).map { abs($0 - $1) }.max() ?? 0
    }

    /// A ladder over every f32 weight of rank >= 2 (seeded): each element kept with probability
    /// 1/2, otherwise pruned from a uniformly drawn level 1...levels.
    static func ladder(for g: Graph, levels: Int, seed: UInt64) throws -> SparsityLadder {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
        var codes: [String: [UInt8]] = [:]
        for (name, t) in g.initializers where t.dtype == .float32 && t.rank >= 2 {
            codes[name] = (0..<t.count).map { _ in next() % 2 == 0 ? 0 : UInt8(1 + next() % UInt64(levels)) }
        }
        let total = codes.values.reduce(0) { $0 + $1.count }
        let ladderLevels = (0...levels).map { l in
            LadderLevel(sparsity: Double(codes.values.reduce(0) { $0 + $1.filter { $0 != 0 && Int($0) <= l }.count }) / Double(total))
        }
        let ladder = SparsityLadder(method: "test", granularity: "unstructured", scope: "global", levels: ladderLevels, codes: codes)
        try ladder.validate(against: g)
        return ladder
    }

    static func roundTrip(_ g: Graph) throws -> Graph {
        try ONNXImporter.decode(try ONNXExporter.modelProto(g).serializedBytes())
    }
}

final class ONNXExporterTests: XCTestCase {
    typealias F = ExportFixtures

    // MARK: Round trips of the committed models

    func testEveryZooAndDigitsModelRoundTripsExactly() throws {
        let cases = try F.zoo() + F.digits()
        XCTAssertEqual(cases.count, 23, "19 zoo models and 4 digits models")
        for c in cases {
            let original = try ONNXImporter.load(c.path)
            let model = try ONNXExporter.modelProto(original)
            XCTAssertEqual(model.opsetImport.map(\.version), [Int64(original.opset)], c.name)
            XCTAssertEqual(model.opsetImport.map(\.domain), [""], c.name)
            XCTAssertEqual(model.irVersion, ONNXExporter.irVersion(forOpset: original.opset), c.name)
            let reimported = try ONNXImporter.decode(try model.serializedBytes())
            assertSameGraph(reimported, original, c.name)

            let feeds = F.feeds(c, for: original)
            let want = try F.run(original, feeds), got = try F.run(reimported, feeds)
            XCTAssertEqual(got.count, want.count, c.name)
            for (i, (a, b)) in zip(got, want).enumerated() {
                XCTAssertTrue(F.sameBytes(a, b), "\(c.name) output \(i): \(a.type) vs \(b.type), max |diff| \(F.maxAbsDiff(a, b))")
            }
        }
    }

    func testExportIsDeterministic() throws {
        let g = try ONNXImporter.load(F.root + "/zoo/inception_block_op15/model.onnx")
        let a: [UInt8] = try ONNXExporter.modelProto(g).serializedBytes()
        let b: [UInt8] = try ONNXExporter.modelProto(g).serializedBytes()
        XCTAssertEqual(a, b)
    }

    // MARK: Ladder levels

    /// Each level of a ladder on the CNN and the wide MLP, exported and re-imported: a coded weight
    /// element is zero exactly when the level prunes it (or it was zero already), kept elements
    /// keep their bits, other tensors are untouched, no ladder is written, and the file computes
    /// what the level computes in memory.
    func testLadderLevelExportHasExactlyTheLevelsZeros() throws {
        for c in try F.digits() where c.name == "digits_cnn" || c.name == "digits_mlp1024" {
            var g = try ONNXImporter.load(c.path)
            let ladder = try F.ladder(for: g, levels: 3, seed: 7)
            g.ladder = ladder
            XCTAssertFalse(ladder.codes.isEmpty)
            for level in 0...ladder.topLevel {
                let atLevel = try PrunedLevels.graph(g, level: level)
                let exported = try F.roundTrip(atLevel)
                XCTAssertNil(exported.ladder)
                var zeros = 0, expectedZeros = 0
                for (name, t) in g.initializers {
                    let e = try XCTUnwrap(exported.initializers[name], name)
                    guard let codes = ladder.codes[name] else {
                        XCTAssertTrue(F.sameBytes(e, t), "\(c.name) level \(level): uncoded '\(name)' changed")
                        continue
                    }
                    let before = t.floats, after = e.floats
                    var notPruned = 0, changed = 0
                    for i in 0..<codes.count {
                        let pruned = !SparsityLadder.kept(code: codes[i], level: level)
                        if pruned || before[i] == 0 { expectedZeros += 1 }
                        if after[i] == 0 { zeros += 1 }
                        if pruned, after[i].bitPattern != 0 { notPruned += 1 }
                        if !pruned, after[i].bitPattern != before[i].bitPattern { changed += 1 }
                    }
                    XCTAssertEqual(notPruned, 0, "\(c.name) level \(level) '\(name)': pruned weights not zero")
                    XCTAssertEqual(changed, 0, "\(c.name) level \(level) '\(name)': kept weights changed")
                }
                XCTAssertEqual(zeros, expectedZeros, "\(c.name) level \(level)")
                if level > 0 { XCTAssertGreaterThan(zeros, 0) }
                let feeds = F.feeds(c, for: g)
                for (a, b) in zip(try F.run(exported, feeds), try F.run(atLevel, feeds)) {
                    XCTAssertTrue(F.sameBytes(a, b), "\(c.name) level \(level): outputs differ")
                }
            }
        }
    }

    // MARK: Internal (fused) forms

    /// The optimised graphs `.epm` files store (fused activations, MatMul + bias) export as
    /// standard ONNX: no `ep_` attribute, no 3-input MatMul, and the same outputs.
    func testFusedGraphsExportAsStandardONNX() throws {
        var fusedActivations = 0
        for c in try F.zoo() + F.digits() {
            let original = try ONNXImporter.load(c.path)
            let optimized = try InferenceSession(graph: original, policy: F.fixedKernels).graph
            fusedActivations += optimized.nodes.filter { $0.attributes[FusedActivation.key] != nil }.count
            let exported = try F.roundTrip(optimized)
            for n in exported.nodes {
                XCTAssertFalse(n.attributes.keys.contains { $0.hasPrefix("ep_") }, "\(c.name): \(n.label) keeps \(n.attributes.keys.sorted())")
                XCTAssertFalse(n.opType == "MatMul" && n.inputs.count != 2, "\(c.name): \(n.label) has \(n.inputs.count) inputs")
            }
            let feeds = F.feeds(c, for: original)
            for (i, (a, b)) in zip(try F.run(exported, feeds), try F.run(original, feeds)).enumerated() {
                XCTAssertTrue(F.sameBytes(a, b), "\(c.name) output \(i): max |diff| \(F.maxAbsDiff(a, b))")
            }
        }
        XCTAssertGreaterThan(fusedActivations, 10, "the fixtures exercise fused activations")
    }

    /// MatMul + Add(bias) + Relu, which the runtime runs as one MatMul with a third input and a
    /// fused activation, comes back as the three ONNX nodes.
    func testFusedMatMulBiasLowersToMatMulAddAndActivation() throws {
        let g = Self.matMulBiasRelu()
        let optimized = try InferenceSession(graph: g).graph
        XCTAssertEqual(optimized.nodes.map(\.opType), ["MatMul"])
        XCTAssertEqual(optimized.nodes.first?.inputs.count, 3)
        let exported = try F.roundTrip(optimized)
        XCTAssertEqual(exported.nodes.map(\.opType), ["MatMul", "Add", "Relu"])
        XCTAssertEqual(exported.nodes.map(\.inputs.count), [2, 2, 1])
        XCTAssertEqual(exported.nodes.last?.outputs, ["y"])
        XCTAssertEqual(Set(exported.nodes.map(\.name)).count, 3, "node names are unique")
        let got = try F.run(exported, ["x": Self.sampleInput])[0], want = try F.run(g, ["x": Self.sampleInput])[0]
        XCTAssertTrue(F.sameBytes(got, want), "max |diff| \(F.maxAbsDiff(got, want))")
    }

    /// Every fusable activation, Clip in both opset forms, with one bound or two.
    func testEveryFusedActivationLowersToItsONNXNode() throws {
        for (label, opset, act) in Self.activationCases {
            let g = Self.gemmWithActivation(act, opset: opset)
            let optimized = try InferenceSession(graph: g).graph
            XCTAssertEqual(optimized.nodes.count, 1, "\(label): fused into the Gemm")
            XCTAssertNotNil(optimized.nodes.first?.attributes[FusedActivation.key], label)
            let exported = try F.roundTrip(optimized)
            XCTAssertEqual(exported.nodes.map(\.opType), ["Gemm", act.opType], label)
            XCTAssertEqual(exported.nodes.last?.outputs, ["y"], label)
            let x = Self.sampleInput
            let got = try F.run(exported, ["x": x])[0], want = try F.run(g, ["x": x])[0]
            XCTAssertTrue(F.sameBytes(got, want), "\(label): max |diff| \(F.maxAbsDiff(got, want))")
        }
    }

    /// Nodes out of order (allowed in the IR) are written in an order ONNX accepts.
    func testNodesAreWrittenInTopologicalOrder() throws {
        var g = Self.matMulBiasRelu()
        g.nodes.reverse()
        let exported = try F.roundTrip(g)
        XCTAssertEqual(exported.nodes.map(\.name), ["mm", "add", "relu"])
        let inOrder = try F.roundTrip(Self.matMulBiasRelu())
        XCTAssertEqual(inOrder.nodes.map(\.name), ["mm", "add", "relu"])
    }

    // MARK: Every attribute kind, dtype and dim kind

    func testAllAttributeKindsDTypesAndDimsRoundTrip() throws {
        var g = Graph(name: "kinds", opset: 17, metadata: ["producer": "hand written", "classes": "a,b"])
        let scalar = Tensor([2.5], shape: [])
        g.nodes = [Node(name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"], attributes: [
            "i": .int(-3), "f": .float(-0.0), "s": .string("héllo"), "is": .ints([1, -2, Int(Int32.max) + 5]),
            "fs": .floats([1.5, .infinity, -2]), "ss": .strings(["a", "", "ü"]), "t": .tensor(Tensor(int64: [4, 5], shape: [2])),
            "ts": .tensor(scalar),
        ])]
        func raw(_ dtype: DType, _ shape: [Int], _ bytes: [UInt8]) -> Tensor {
            let t = Tensor(zeros: TensorType(dtype, shape))
            bytes.withUnsafeBytes { t.raw.copyMemory(from: $0.baseAddress!, byteCount: min($0.count, t.byteCount)) }
            return t
        }
        g.initializers = [
            "f32": Tensor([1, -2, .nan, 0], shape: [2, 2]), "u8": raw(.uint8, [3], [0, 128, 255]),
            "i8": raw(.int8, [2], [0x80, 0x7F]), "i32": raw(.int32, [1], [1, 2, 3, 4]),
            "i64": Tensor(int64: [Int64.min, -1, Int64.max], shape: [3]), "bool": raw(.bool, [2, 1], [1, 0]),
            "scalar": scalar, "empty": Tensor(zeros: TensorType(.float32, [0, 3])),
        ]
        g.inputs = [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(3), .symbolic("?")]),
                    ValueInfo(name: "f32", dtype: .float32, dims: [.fixed(2), .fixed(2)])]
        g.outputs = [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("N"), .fixed(3), .symbolic("?")])]
        assertSameGraph(try F.roundTrip(g), g, "hand-made graph")
        XCTAssertEqual(DType.allCases.count, 6, "a new DType needs a case in this test")
    }

    // MARK: Errors

    func testUnexportableGraphsAreRefusedAndNothingIsWritten() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("edgeprune-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let existing = dir.appendingPathComponent("existing.onnx").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: existing))
        let good = Self.gemmWithActivation(Self.activationCases[0].2, opset: 13)

        var unknown = good
        unknown.nodes[0].attributes["ep_packed"] = .int(1)
        var oldOpset = good
        oldOpset.opset = 5
        var noOutputs = good
        noOutputs.outputs = []
        var dangling = good
        dangling.nodes[1].inputs = ["nowhere"]
        let cases: [(Graph, String, String)] = [
            (unknown, existing, "internal attribute 'ep_packed'"), (oldOpset, existing, "opset 5"),
            (noOutputs, existing, "no outputs"), (dangling, existing, "dangling input"), (good, dir.path + "/missing/out.onnx", "does not exist"),
            (good, dir.path, "is a directory"),
        ]
        for (g, path, fragment) in cases {
            do {
                try ONNXExporter.write(g, to: path)
                XCTFail("expected '\(fragment)'")
            } catch let e as EdgePruneError {
                XCTAssertTrue(e.description.contains(fragment), "'\(e.description)' lacks '\(fragment)'")
            }
        }
        XCTAssertEqual(try String(contentsOfFile: existing, encoding: .utf8), "old", "a failed export changed the file")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["existing.onnx"], "leftover files")
        try ONNXExporter.write(good, to: existing)
        XCTAssertEqual(try ONNXImporter.load(existing).nodes.map(\.opType), ["Gemm", "Relu"])
    }

    // MARK: ONNX Runtime on our exports

    /// Exports (plain, fused as in an .epm, and at a ladder level) run in ONNX Runtime: its
    /// outputs match ours within 1e-4.
    func testONNXRuntimeRunsExportsWithOurOutputs() throws {
        guard ORTRunner.available() != nil else { throw XCTSkip(ORTRunner.unavailableReason ?? "ONNX Runtime unavailable") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("edgeprune-export-ort-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let zooPicks = ["mobilenet_v2_w050_op13", "squeezenet1_1_op11", "tiny_resnet_op17", "clip_bounds_op11", "mlp_gemm_op13"]
        var checked = 0
        func check(_ g: Graph, _ x: Tensor, _ label: String) throws {
            let path = dir.appendingPathComponent("\(checked).onnx").path
            try ONNXExporter.write(g, to: path)
            let theirs = try ORTRunner.run(model: path, input: x)
            let ours = try F.run(g, [g.runtimeInputs[0].name: x], policy: KernelPolicy())
            XCTAssertEqual(theirs.count, ours.count, label)
            for (i, (a, b)) in zip(ours, theirs).enumerated() {
                XCTAssertEqual(a.shape, b.shape, "\(label) output \(i)")
                XCTAssertLessThanOrEqual(F.maxAbsDiff(a, b), 1e-4, "\(label) output \(i)")
            }
            checked += 1
        }
        for c in try F.digits() + F.zoo().filter({ zooPicks.contains($0.name) }) {
            let g = try ONNXImporter.load(c.path)
            let x = c.feeds.values.first!
            try check(g, x, c.name)
            try check(try InferenceSession(graph: g).graph, x, "\(c.name) fused")
            if c.name.hasPrefix("digits") {
                var laddered = g
                laddered.ladder = try F.ladder(for: g, levels: 2, seed: 3)
                try check(try PrunedLevels.graph(laddered, level: 2), x, "\(c.name) level 2")
            }
        }
        for (label, opset, act) in Self.activationCases {
            try check(try InferenceSession(graph: Self.gemmWithActivation(act, opset: opset)).graph, Self.sampleInput, "fused \(label)")
        }
        try check(try InferenceSession(graph: Self.matMulBiasRelu()).graph, Self.sampleInput, "fused MatMul + bias + Relu")
        XCTAssertEqual(checked, 4 * 3 + zooPicks.count * 2 + Self.activationCases.count + 1)
    }

    // MARK: Helpers

    struct Activation { let opType: String; let attributes: [String: Attribute]; let bounds: [Float?] }

    static let activationCases: [(String, Int, Activation)] = [
        ("Relu", 13, Activation(opType: "Relu", attributes: [:], bounds: [])),
        ("LeakyRelu", 13, Activation(opType: "LeakyRelu", attributes: ["alpha": .float(0.2)], bounds: [])),
        ("Sigmoid", 13, Activation(opType: "Sigmoid", attributes: [:], bounds: [])),
        ("Tanh", 13, Activation(opType: "Tanh", attributes: [:], bounds: [])),
        ("Elu", 13, Activation(opType: "Elu", attributes: ["alpha": .float(0.7)], bounds: [])),
        ("Selu", 13, Activation(opType: "Selu", attributes: ["alpha": .float(1.5), "gamma": .float(1.1)], bounds: [])),
        ("Softplus", 13, Activation(opType: "Softplus", attributes: [:], bounds: [])),
        ("Clip opset 9", 9, Activation(opType: "Clip", attributes: ["min": .float(-0.5), "max": .float(0.25)], bounds: [])),
        ("Clip opset 9 max only", 9, Activation(opType: "Clip", attributes: ["max": .float(0.25)], bounds: [])),
        ("Clip opset 13", 13, Activation(opType: "Clip", attributes: [:], bounds: [-0.5, 0.25])),
        ("Clip opset 13 min only", 13, Activation(opType: "Clip", attributes: [:], bounds: [-0.5])),
        ("Clip opset 13 max only", 13, Activation(opType: "Clip", attributes: [:], bounds: [nil, 0.25])),
    ]

    static let sampleInput = Tensor((0..<12).map { Float($0) * 0.37 - 2 }, shape: [3, 4])

    /// x[N,4] → Gemm(W[5,4], transB) → activation → y.
    static func gemmWithActivation(_ act: Activation, opset: Int) -> Graph {
        var g = Graph(name: "gemm_act", opset: opset)
        g.initializers["W"] = Tensor((0..<20).map { Float(($0 * 7) % 11) * 0.13 - 0.6 }, shape: [5, 4])
        g.initializers["b"] = Tensor([0.1, -0.2, 0.3, -0.4, 0.05], shape: [5])
        var inputs = ["h"]
        for (i, bound) in act.bounds.enumerated() {
            guard let bound else { inputs.append(""); continue }
            g.initializers["bound\(i)"] = Tensor([bound], shape: [])
            inputs.append("bound\(i)")
        }
        g.nodes = [Node(name: "fc", opType: "Gemm", inputs: ["x", "W", "b"], outputs: ["h"], attributes: ["transB": .int(1)]),
                   Node(name: "act", opType: act.opType, inputs: inputs, outputs: ["y"], attributes: act.attributes)]
        g.inputs = [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(4)])]
        g.outputs = [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("N"), .fixed(5)])]
        return g
    }

    /// x[N,4] → MatMul(W[4,5]) → Add(b[5]) → Relu → y.
    static func matMulBiasRelu() -> Graph {
        var g = Graph(name: "matmul_bias", opset: 13)
        g.initializers["W"] = Tensor((0..<20).map { Float(($0 * 5) % 9) * 0.21 - 0.8 }, shape: [4, 5])
        g.initializers["b"] = Tensor([0.3, -0.1, 0.2, -0.5, 0.0], shape: [5])
        g.nodes = [Node(name: "mm", opType: "MatMul", inputs: ["x", "W"], outputs: ["h"]),
                   Node(name: "add", opType: "Add", inputs: ["b", "h"], outputs: ["z"]),
                   Node(name: "relu", opType: "Relu", inputs: ["z"], outputs: ["y"])]
        g.inputs = [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(4)])]
        g.outputs = [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("N"), .fixed(5)])]
        return g
    }

    func assertSameGraph(_ a: Graph, _ b: Graph, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.name, b.name, label, file: file, line: line)
        XCTAssertEqual(a.opset, b.opset, label, file: file, line: line)
        XCTAssertEqual(a.metadata, b.metadata, label, file: file, line: line)
        func describe(_ v: [ValueInfo]) -> [String] { v.map { "\($0.name) \($0.dtype) \($0.dims)" } }
        XCTAssertEqual(describe(a.inputs), describe(b.inputs), label, file: file, line: line)
        XCTAssertEqual(describe(a.outputs), describe(b.outputs), label, file: file, line: line)
        XCTAssertEqual(a.nodes.count, b.nodes.count, label, file: file, line: line)
        for (x, y) in zip(a.nodes, b.nodes) {
            XCTAssertEqual([x.name, x.opType], [y.name, y.opType], label, file: file, line: line)
            XCTAssertEqual(x.inputs, y.inputs, "\(label) \(x.label)", file: file, line: line)
            XCTAssertEqual(x.outputs, y.outputs, "\(label) \(x.label)", file: file, line: line)
            XCTAssertEqual(x.attributes.keys.sorted(), y.attributes.keys.sorted(), "\(label) \(x.label)", file: file, line: line)
            for (key, value) in x.attributes {
                XCTAssertTrue(y.attributes[key].map { Self.same(value, $0) } ?? false,
                              "\(label) \(x.label) attribute '\(key)': \(value) vs \(String(describing: y.attributes[key]))", file: file, line: line)
            }
        }
        XCTAssertEqual(a.initializers.keys.sorted(), b.initializers.keys.sorted(), label, file: file, line: line)
        for (name, t) in a.initializers {
            guard let u = b.initializers[name] else { continue }
            XCTAssertTrue(F.sameBytes(t, u), "\(label) initializer '\(name)': \(t.type) vs \(u.type)", file: file, line: line)
        }
    }

    /// Attribute equality, floats by bit pattern (so -0, NaN and infinities count).
    static func same(_ a: Attribute, _ b: Attribute) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y
        case (.float(let x), .float(let y)): return x.bitPattern == y.bitPattern
        case (.string(let x), .string(let y)): return x == y
        case (.ints(let x), .ints(let y)): return x == y
        case (.floats(let x), .floats(let y)): return x.map(\.bitPattern) == y.map(\.bitPattern)
        case (.strings(let x), .strings(let y)): return x == y
        case (.tensor(let x), .tensor(let y)): return ExportFixtures.sameBytes(x, y)
        default: return false
        }
    }
}
