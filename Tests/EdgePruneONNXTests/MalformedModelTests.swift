import EdgePruneCore
import EdgePruneONNX
import Foundation
import SwiftProtobuf
import XCTest

// MARK: - Malformed model builders (shared with CLIErrorTests)

/// Builds the malformed ONNX models the robustness requirement lists, each as a mutation of one
/// small valid model:
///
///     x f32[1,4] → Gemm(x, W f32[3,4], transB=1) → h → Relu → y f32[1,3]      (opset 13)
enum MalformedONNX {
    /// The "2^40 dimension" of the requirement.
    static let huge: Int64 = 1 << 40

    /// Malformed kinds of the acceptance list; one test per kind in both test files.
    enum Kind: String, CaseIterable {
        case emptyFile, randomBytes, truncated, plainText, danglingInput, cycle, hugeDimension,
            rawDataShorterThanShape, rankMismatch, innerDimensionMismatch, unsupportedOp,
            unknownOpset, missingGraphOutput
    }

    /// One malformed file: what it is, its bytes, and a substring every error about it must hold.
    struct Variant {
        let label: String
        let bytes: [UInt8]
        /// Expected in the error of `inspect` (load, session, plan at batch 1).
        let expect: String
        /// Expected in the error of `run` on x f32[1,4] zeros; defaults to `expect`.
        let runExpect: String
        /// Address-space limit for the CLI run of this file, in KiB.
        let addressSpaceKiB: Int

        init(_ label: String, _ bytes: [UInt8], expect: String, runExpect: String? = nil,
             addressSpaceKiB: Int = 4 << 20) {
            self.label = label
            self.bytes = bytes
            self.expect = expect
            self.runExpect = runExpect ?? expect
            self.addressSpaceKiB = addressSpaceKiB
        }
    }

    // MARK: Proto helpers

    static func floatTensor(_ name: String, _ dims: [Int64], _ values: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = 1
        t.dims = dims
        t.floatData = values
        return t
    }

    static func rawFloatTensor(_ name: String, _ dims: [Int64], _ values: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = 1
        t.dims = dims
        t.rawData = values.withUnsafeBytes { Data($0) }
        return t
    }

    static func int64Tensor(_ name: String, _ values: [Int64]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = 7
        t.dims = [Int64(values.count)]
        t.int64Data = values
        return t
    }

    /// A tensor value info; `nil` dims are symbolic ("N").
    static func valueInfo(_ name: String, _ dims: [Int64?], elemType: Int32 = 1) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            if let d { dim.dimValue = d } else { dim.dimParam = "N" }
            return dim
        }
        var tt = Onnx_TypeProto.Tensor()
        tt.elemType = elemType
        tt.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tt
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type = type
        return v
    }

    static func intAttr(_ name: String, _ v: Int64) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = v
        return a
    }

    static func tensorAttr(_ name: String, _ t: Onnx_TensorProto) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .tensor
        a.t = t
        return a
    }

    static func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String,
                     _ attrs: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = name
        n.input = inputs
        n.output = outputs
        n.attribute = attrs
        return n
    }

    static func opset(_ version: Int64, domain: String = "") -> Onnx_OperatorSetIdProto {
        var o = Onnx_OperatorSetIdProto()
        o.domain = domain
        o.version = version
        return o
    }

    // MARK: The valid base model

    /// W[3,4]; y = relu(x · Wᵀ).
    static let weights: [Float] = (0..<12).map { Float($0 - 5) / 4 }
    static let baseInput: [Float] = [1, -2, 0.5, 3]
    static var baseOutput: [Float] {
        (0..<3).map { r in max(0, (0..<4).reduce(Float(0)) { $0 + baseInput[$1] * weights[r * 4 + $1] }) }
    }

    static func baseModel() -> Onnx_ModelProto {
        var g = Onnx_GraphProto()
        g.name = "base"
        g.initializer = [floatTensor("W", [3, 4], weights)]
        g.input = [valueInfo("x", [1, 4])]
        g.output = [valueInfo("y", [1, 3])]
        g.node = [
            node("Gemm", ["x", "W"], ["h"], name: "fc", [intAttr("transB", 1)]),
            node("Relu", ["h"], ["y"], name: "act"),
        ]
        var m = Onnx_ModelProto()
        m.irVersion = 8
        m.producerName = "MalformedModelTests"
        m.opsetImport = [opset(13)]
        m.graph = g
        return m
    }

    static func bytes(_ m: Onnx_ModelProto) -> [UInt8] {
        // Serialising an in-memory message cannot fail.
        try! m.serializedBytes()
    }

    static func mutated(_ body: (inout Onnx_ModelProto) -> Void) -> [UInt8] {
        var m = baseModel()
        body(&m)
        return bytes(m)
    }

    /// Deterministic pseudo-random bytes (SplitMix64).
    static func randomBytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return UInt8(truncatingIfNeeded: z ^ (z >> 31))
        }
    }

    // MARK: The malformed variants, per kind

    static func variants(_ kind: Kind) -> [Variant] {
        switch kind {
        case .emptyFile:
            return [Variant("empty file", [], expect: "empty")]

        case .randomBytes:
            return [1, 2, 3].map { seed in
                Variant("4 KiB of random bytes (seed \(seed))", randomBytes(count: 4096, seed: seed), expect: "not an ONNX model")
            } + [Variant("16 random bytes", randomBytes(count: 16, seed: 99), expect: "not an ONNX model")]

        case .truncated:
            let full = bytes(baseModel())
            return [
                Variant("first half of a valid model", Array(full.prefix(full.count / 2)), expect: "not an ONNX model"),
                Variant("valid model minus its last 3 bytes", Array(full.dropLast(3)), expect: "not an ONNX model"),
            ]

        case .plainText:
            return [
                Variant("an English sentence", Array("This is not an ONNX model, just a line of text.\n".utf8), expect: "not an ONNX model"),
                Variant("protobuf text format", Array("ir_version: 8\ngraph {\n  node { op_type: \"Relu\" }\n}\n".utf8),
                        expect: "not an ONNX model"),
                Variant("a CSV file", Array("a,b,c\n1,2,3\n4,5,6\n".utf8), expect: "not an ONNX model"),
            ]

        case .danglingInput:
            return [
                Variant("Relu reads a value nothing produces", mutated { $0.graph.node[1].input = ["nowhere"] }, expect: "dangling"),
                Variant("Gemm reads a missing weight", mutated { $0.graph.node[0].input = ["x", "W_missing"] }, expect: "dangling"),
            ]

        case .cycle:
            return [
                // fc: Gemm(x, W, C=y) → h; act: Relu(h) → y. fc needs act's output and vice versa.
                Variant("Gemm ↔ Relu", mutated { $0.graph.node[0].input = ["x", "W", "y"] }, expect: "cycle"),
                Variant("Relu reading its own output", mutated {
                    $0.graph.node.append(node("Relu", ["loop"], ["loop"], name: "self"))
                }, expect: "cycle"),
            ]

        case .hugeDimension:
            return hugeDimensionVariants()

        case .rawDataShorterThanShape:
            return [
                Variant("W f32[3,4] with 40 bytes of raw data", mutated {
                    var w = rawFloatTensor("W", [3, 4], weights)
                    w.rawData = w.rawData.prefix(40)
                    $0.graph.initializer = [w]
                }, expect: "raw data"),
                Variant("W f32[3,4] with 11 float values", mutated {
                    $0.graph.initializer = [floatTensor("W", [3, 4], Array(weights.prefix(11)))]
                }, expect: "values"),
                Variant("Constant value f32[3,4] with 4 bytes of raw data", mutated {
                    var w = rawFloatTensor("", [3, 4], [1])
                    w.name = "W_value"
                    $0.graph.initializer = []
                    $0.graph.node.insert(node("Constant", [], ["W"], name: "const", [tensorAttr("value", w)]), at: 0)
                }, expect: "raw data"),
            ]

        case .rankMismatch:
            return [
                Variant("W of rank 3", mutated {
                    $0.graph.initializer = [floatTensor("W", [3, 4, 1], weights)]
                }, expect: "2-D"),
                Variant("x declared f32[1,1,4]", mutated {
                    $0.graph.input = [valueInfo("x", [1, 1, 4])]
                }, expect: "2-D"),
            ]

        case .innerDimensionMismatch:
            return [
                Variant("Gemm W[3,5] with transB=1 on x[1,4]", mutated {
                    $0.graph.initializer = [floatTensor("W", [3, 5], Array(repeating: 1, count: 15))]
                }, expect: "inner dimensions differ"),
                Variant("MatMul x[1,4] · W[3,4]", mutated {
                    $0.graph.node[0] = node("MatMul", ["x", "W"], ["h"], name: "fc")
                }, expect: "inner dimensions differ"),
            ]

        case .unsupportedOp:
            return [
                Variant("op 'FancyRelu'", mutated { $0.graph.node[1].opType = "FancyRelu" }, expect: "not supported"),
                Variant("Relu of domain 'com.example'", mutated { $0.graph.node[1].domain = "com.example" }, expect: "not supported"),
            ]

        case .unknownOpset:
            return [
                Variant("opset 99", mutated { $0.opsetImport = [opset(99)] }, expect: "opset 99"),
                Variant("opset 1", mutated { $0.opsetImport = [opset(1)] }, expect: "opset 1 "),
                Variant("opset -1", mutated { $0.opsetImport = [opset(-1)] }, expect: "opset -1"),
                Variant("no default-domain opset", mutated { $0.opsetImport = [opset(1, domain: "com.example")] }, expect: "opset"),
            ]

        case .missingGraphOutput:
            return [
                Variant("graph output 'z' that no node produces", mutated {
                    $0.graph.output = [valueInfo("z", [1, 3])]
                }, expect: "graph output 'z'"),
                Variant("no graph outputs at all", mutated { $0.graph.output = [] }, expect: "no outputs"),
            ]
        }
    }

    private static func hugeDimensionVariants() -> [Variant] {
        let limit = "tensor limit"
        return [
            Variant("initializer W f32[2^40,4] without data", mutated {
                var w = Onnx_TensorProto()
                w.name = "W"
                w.dataType = 1
                w.dims = [huge, 4]
                $0.graph.initializer = [w]
            }, expect: limit),
            Variant("initializer W f32[3,2^40] with 48 bytes of raw data", mutated {
                var w = rawFloatTensor("W", [3, 4], weights)
                w.dims = [3, huge]
                $0.graph.initializer = [w]
            }, expect: limit),
            Variant("initializer W f32[2^40,2^40,2^40] (element count overflows)", mutated {
                var w = Onnx_TensorProto()
                w.name = "W"
                w.dataType = 1
                w.dims = [huge, huge, huge]
                $0.graph.initializer = [w]
            }, expect: "invalid shape"),
            Variant("graph input x f32[2^40,4]", mutated {
                $0.graph.input = [valueInfo("x", [huge, 4])]
            }, expect: limit, runExpect: "must be \(huge)"),
            Variant("graph input x f32[N,2^40]", mutated {
                $0.graph.input = [valueInfo("x", [nil, huge])]
            }, expect: limit, runExpect: "must be \(huge)"),
            Variant("Reshape of x to [2^40,4]", reshapeModel([huge, 4]), expect: "cannot reshape"),
            Variant("Reshape of x to [2^40,-1]", reshapeModel([huge, -1]), expect: "cannot reshape"),
            Variant("Reshape of x to [2^40,2^40] (overflows)", reshapeModel([huge, huge]), expect: "cannot reshape"),
            Variant("Reshape of the constant W to [2^40,2^40]", mutated {
                $0.graph.initializer.append(int64Tensor("shape", [huge, huge]))
                $0.graph.node.insert(node("Reshape", ["W", "shape"], ["W2"], name: "reshape"), at: 0)
                $0.graph.node[1].input = ["x", "W2"]
            }, expect: "cannot reshape"),
            Variant("ConstantOfShape [2^40,3]", mutated {
                $0.graph.initializer.append(int64Tensor("shape", [huge, 3]))
                $0.graph.node[1].output = ["r"]
                $0.graph.node += [
                    node("ConstantOfShape", ["shape"], ["c"], name: "fill"),
                    node("Add", ["r", "c"], ["y"], name: "add"),
                ]
            }, expect: limit),
            Variant("Expand of x to [2^40,4]", mutated {
                $0.graph.initializer.append(int64Tensor("shape", [huge, 4]))
                $0.graph.node.insert(node("Expand", ["x", "shape"], ["xe"], name: "expand"), at: 0)
                $0.graph.node[1].input = ["xe", "W"]
            }, expect: limit),
        ]
    }

    /// x f32[1,4] → Reshape(x, target) → Gemm → Relu → y.
    static func reshapeModel(_ target: [Int64]) -> [UInt8] {
        mutated {
            $0.graph.initializer.append(int64Tensor("target", target))
            $0.graph.node.insert(node("Reshape", ["x", "target"], ["xr"], name: "reshape"), at: 0)
            $0.graph.node[1].input = ["xr", "W"]
        }
    }

    /// 1 GiB declared (exactly the default tensor limit), 4 bytes stored: must be rejected before
    /// anything of the declared size is allocated, so the CLI runs it under a 512 MiB
    /// address-space limit. Kept out of the per-kind in-process loop (it would raise the test
    /// runner's peak memory for every later test); testShortRawDataDoesNotAllocateDeclaredSize
    /// checks it in process.
    static func largeDeclaredRawDataVariant() -> Variant {
        Variant("W f32[268435456] (1 GiB) with 4 bytes of raw data", mutated {
            $0.graph.initializer = [rawFloatTensor("W", [1 << 28], [1])]
        }, expect: "raw data", addressSpaceKiB: 512 << 10)
    }

    /// Dimensions far past 2^40 whose byte size overflows Int. Kept out of the in-process tests:
    /// an overflow trap there would kill the whole test runner, so only CLIErrorTests (one
    /// subprocess per file) runs them.
    static func extremeDimensionVariants() -> [Variant] {
        let d62: Int64 = 1 << 62
        return [
            Variant("graph input x f32[1,2^62] (byte size overflows)", mutated {
                $0.graph.input = [valueInfo("x", [1, d62])]
            }, expect: "limit", runExpect: "must be \(d62)"),
            Variant("graph input x f32[1,2^61] (byte size overflows)", mutated {
                $0.graph.input = [valueInfo("x", [1, d62 / 2])]
            }, expect: "limit", runExpect: "must be \(d62 / 2)"),
            Variant("graph input x f32[Int64.max,4]", mutated {
                $0.graph.input = [valueInfo("x", [Int64.max, 4])]
            }, expect: "limit", runExpect: "must be \(Int64.max)"),
            Variant("graph input x f32[1,2^40,2^40] fed rank-2 data", mutated {
                $0.graph.input = [valueInfo("x", [1, huge, huge])]
            }, expect: "limit", runExpect: "input 'x'"),
        ]
    }
}

// MARK: - In-process tests

/// Every malformed model of the acceptance list is rejected by ModelLoader / InferenceSession with
/// a one-line EdgePruneError naming the problem, quickly and without allocating what it declares.
final class MalformedModelTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("edgeprune-malformed-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// What `inspect` does: load, prepare the session, plan at batch 1.
    private func inspect(_ path: String) throws {
        let s = try ModelLoader.session(path)
        _ = try s.plan(batch: 1)
    }

    /// What `run --input x.npy` does: load, prepare, run on x f32[1,4] (reshaped, as the CLI's
    /// input fitting does, to the declared input shape when that is fixed and holds 4 elements).
    private func run(_ path: String) throws -> [String: Tensor] {
        let s = try ModelLoader.session(path)
        var shape = [1, 4]
        if let info = s.inputs.first {
            let fixed = info.dims.compactMap { d -> Int? in if case .fixed(let n) = d { return n }; return nil }
            if fixed.count == info.dims.count, Shape.elementCount(fixed) == 4 { shape = fixed }
        }
        return try s.run(["x": Tensor(MalformedONNX.baseInput, shape: shape)])
    }

    /// The error `body` throws; fails when it throws something else, nothing, or takes too long.
    private func expectError(_ what: String, within seconds: Double = 2, _ body: () throws -> Void,
                             file: StaticString = #filePath, line: UInt = #line) -> EdgePruneError? {
        let t0 = Date()
        defer {
            let dt = Date().timeIntervalSince(t0)
            XCTAssertLessThan(dt, seconds, "\(what): took \(dt) s", file: file, line: line)
        }
        do {
            try body()
            XCTFail("\(what): was accepted", file: file, line: line)
            return nil
        } catch let e as EdgePruneError {
            XCTAssertFalse(e.description.contains("\n"), "\(what): multi-line error \(e)", file: file, line: line)
            XCTAssertFalse(e.message.isEmpty, "\(what): empty message", file: file, line: line)
            return e
        } catch {
            XCTFail("\(what): threw \(type(of: error)) instead of EdgePruneError: \(error)", file: file, line: line)
            return nil
        }
    }

    private func check(_ kind: MalformedONNX.Kind, file: StaticString = #filePath, line: UInt = #line) throws {
        let variants = MalformedONNX.variants(kind)
        XCTAssertFalse(variants.isEmpty)
        for (i, v) in variants.enumerated() {
            let path = try write(v.bytes, "\(kind.rawValue)-\(i).onnx")
            if let e = expectError("\(kind) / \(v.label) / inspect", { try inspect(path) }, file: file, line: line) {
                XCTAssertTrue(e.message.contains(v.expect), "\(kind) / \(v.label) / inspect: '\(e)' lacks '\(v.expect)'", file: file, line: line)
            }
            if let e = expectError("\(kind) / \(v.label) / run", { _ = try run(path) }, file: file, line: line) {
                XCTAssertTrue(e.message.contains(v.runExpect), "\(kind) / \(v.label) / run: '\(e)' lacks '\(v.runExpect)'", file: file, line: line)
            }
        }
    }

    // MARK: The base model is valid

    func testBaseModelRuns() throws {
        let path = try write(MalformedONNX.bytes(MalformedONNX.baseModel()), "base.onnx")
        let y = try run(path)["y"]
        XCTAssertEqual(y?.shape, [1, 3])
        let want = MalformedONNX.baseOutput
        for (a, b) in zip(y?.floats ?? [], want) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertNoThrow(try inspect(path))
    }

    // MARK: One test per malformed kind

    func testEmptyFile() throws { try check(.emptyFile) }
    func testRandomBytes() throws { try check(.randomBytes) }
    func testTruncated() throws { try check(.truncated) }
    func testPlainText() throws { try check(.plainText) }
    func testDanglingInput() throws { try check(.danglingInput) }
    func testCycle() throws { try check(.cycle) }
    func testHugeDimension() throws { try check(.hugeDimension) }
    func testRawDataShorterThanShape() throws { try check(.rawDataShorterThanShape) }
    func testRankMismatch() throws { try check(.rankMismatch) }
    func testInnerDimensionMismatch() throws { try check(.innerDimensionMismatch) }
    func testUnsupportedOp() throws { try check(.unsupportedOp) }
    func testUnknownOpset() throws { try check(.unknownOpset) }
    func testMissingGraphOutput() throws { try check(.missingGraphOutput) }

    // MARK: Deeper checks

    /// Every proper prefix of a valid model is rejected (decoded from memory: no file per prefix).
    func testEveryTruncationIsRejected() throws {
        let full = MalformedONNX.bytes(MalformedONNX.baseModel())
        for n in 0..<full.count {
            do {
                let g = try ONNXImporter.decode(Array(full.prefix(n)))
                _ = try InferenceSession(graph: g).plan(batch: 1)
                XCTFail("prefix of \(n) of \(full.count) bytes was accepted")
            } catch is EdgePruneError {
            } catch {
                XCTFail("prefix of \(n) bytes: \(type(of: error)) instead of EdgePruneError: \(error)")
            }
        }
        XCTAssertNoThrow(try ONNXImporter.decode(full))
    }

    /// The 2^40 cases are rejected by size arithmetic, not by trying to allocate: even a tiny
    /// tensor limit is enforced at the same places, and a [2^40] graph input never reaches the
    /// arena.
    func testHugeDimensionRejectedBeforeAllocation() throws {
        let huge = MalformedONNX.huge
        // Initializer: decode only, no file.
        let initializer = MalformedONNX.mutated {
            var w = Onnx_TensorProto()
            w.name = "W"
            w.dataType = 1
            w.dims = [huge, 4]
            $0.graph.initializer = [w]
        }
        let e1 = expectError("[2^40,4] initializer", within: 1) { _ = try ONNXImporter.decode(initializer) }
        XCTAssertEqual(e1?.kind, .limit)

        // Graph input used at plan time: planning at batch 1 binds [2^40,4].
        let input = MalformedONNX.mutated { $0.graph.input = [MalformedONNX.valueInfo("x", [huge, 4])] }
        let session = try InferenceSession(graph: try ONNXImporter.decode(input))
        XCTAssertEqual(session.inputs.first?.dims, [.fixed(Int(huge)), .fixed(4)])
        let e2 = expectError("[2^40,4] graph input at plan time", within: 1) { _ = try session.plan(batch: 1) }
        XCTAssertEqual(e2?.kind, .limit)
        let e3 = expectError("[2^40,4] graph input, explicit shape", within: 1) {
            _ = try session.plan(inputShapes: ["x": [Int(huge), 4]])
        }
        XCTAssertEqual(e3?.kind, .limit)

        // Reshape target: a shape error at plan time, the view is never materialised.
        let reshape = try InferenceSession(graph: try ONNXImporter.decode(MalformedONNX.reshapeModel([huge, 4])))
        let e4 = expectError("Reshape to [2^40,4]", within: 1) { _ = try reshape.plan(batch: 1) }
        XCTAssertEqual(e4?.kind, .shape)
    }

    /// Short raw data under a large (but within-limit) declared shape is rejected without
    /// allocating the declared size: the peak RSS must not grow by anything near 1 GiB.
    func testShortRawDataDoesNotAllocateDeclaredSize() throws {
        let v = MalformedONNX.largeDeclaredRawDataVariant()
        let before = peakRSSBytes()
        let e = expectError(v.label) { _ = try ONNXImporter.decode(v.bytes) }
        XCTAssertTrue(e?.message.contains("raw data") ?? false, "\(String(describing: e))")
        let grown = peakRSSBytes() - before
        XCTAssertLessThan(grown, 256 << 20,
                          "rejecting \(v.label) raised the peak RSS by \(grown >> 20) MiB: the declared size was allocated before the raw data length was checked")
    }

    private func peakRSSBytes() -> Int {
        var u = rusage()
        #if os(macOS)
        getrusage(RUSAGE_SELF, &u)
        return Int(u.ru_maxrss)          // bytes on macOS
        #else
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Int(u.ru_maxrss) * 1024   // KiB on Linux
        #endif
    }

    /// A shape just over a small limit is rejected with the limit in the message (the limit is
    /// what stops the 2^40 cases, so it must apply to initializers and plan-time values alike).
    func testTensorLimitApplies() throws {
        let limits = PlanLimits(maxTensorBytes: 40, maxTotalBytes: 1 << 20)
        let bytes = MalformedONNX.bytes(MalformedONNX.baseModel())   // W is 48 bytes
        let e = expectError("W over a 40-byte limit") { _ = try ONNXImporter.decode(bytes, limits: limits) }
        XCTAssertEqual(e?.kind, .limit)
        XCTAssertTrue(e?.message.contains("40-byte") ?? false, "\(String(describing: e))")
    }

    /// The error names the file, so a user running several models knows which one is broken.
    func testErrorNamesTheFile() throws {
        let path = try write(MalformedONNX.variants(.cycle)[0].bytes, "named.onnx")
        let e = expectError("cycle") { try inspect(path) }
        XCTAssertTrue(e?.message.contains(path) ?? false, "\(String(describing: e))")
        let path2 = try write([], "empty.onnx")
        let e2 = expectError("empty") { try inspect(path2) }
        XCTAssertTrue(e2?.message.contains(path2) ?? false, "\(String(describing: e2))")
    }

    /// A file that does not exist or is a directory: an I/O error, not a crash.
    func testMissingFileAndDirectory() throws {
        let e1 = expectError("missing file") { try inspect(dir.appendingPathComponent("nope.onnx").path) }
        XCTAssertEqual(e1?.kind, .io)
        let e2 = expectError("directory") { try inspect(dir.path) }
        XCTAssertEqual(e2?.kind, .io)
    }
}
