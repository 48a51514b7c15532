import CEdgeKernels
import CTestSupport
import XCTest
@testable import EdgePruneCore

/// int8-quantised Gemm/MatMul: activation and weight quantisation round trips, the prepared layer
/// against an integer reference (bit for bit) and the f32 layer (within quantisation error), every
/// int8 format, bad parameters, inspect names and re-planning, and an allocation-free run.
final class Int8LinearTests: XCTestCase {
    // MARK: quantisation round trips

    func testActivationParametersCoverTheRangeAndKeepZeroExact() {
        let (s, zp) = Int8LinearParams.activation(lo: -1, hi: 3)
        XCTAssertEqual(s, 4 / 255, accuracy: 1e-7)
        XCTAssertEqual(zp, 64)  // round(1 / (4/255)) = round(63.75)
        let relu = Int8LinearParams.activation(lo: 0.5, hi: 2)  // widened to include 0
        XCTAssertEqual(relu.zeroPoint, 0)
        XCTAssertEqual(relu.scale, 2 / 255, accuracy: 1e-7)
        let negative = Int8LinearParams.activation(lo: -2, hi: -1)
        XCTAssertEqual(negative.zeroPoint, 255)
        let zeros = Int8LinearParams.activation(lo: 0, hi: 0)
        XCTAssertGreaterThan(zeros.scale, 0)
        let p = Int8LinearParams(xScale: s, xZeroPoint: zp, yScale: 1, yZeroPoint: 0)
        XCTAssertEqual(p.quantizeInput(0), UInt8(zp), "0 is exactly representable")
    }

    func testActivationQuantizationRoundsHalfToEvenAndSaturatesLikeQuantizeLinear() {
        let x: [Float] = [0.5, 1.5, 2.5, -0.5, -1.5, 1000, -1000, 3.49, .nan]
        var q = [UInt8](repeating: 0, count: x.count)
        ep_f32_qu8_quantize_ukernel__scalar(x.count, x, 1, 10, &q)
        XCTAssertEqual(q, [10, 12, 12, 10, 8, 255, 0, 13, 10])
        var back = [Float](repeating: 0, count: q.count)
        ep_qu8_f32_dequantize_ukernel__scalar(q.count, q, 0.5, 10, &back)
        XCTAssertEqual(back, [0, 1, 1, 0, -1, 122.5, -5, 1.5, 0])
        // Round trip of values inside the range: within half a step.
        var rng = TestRandom(seed: 3)
        let (s, zp) = Int8LinearParams.activation(lo: -3, hi: 5)
        let v = (0..<1000).map { _ in rng.float() * 3 }
        var vq = [UInt8](repeating: 0, count: v.count), vb = [Float](repeating: 0, count: v.count)
        ep_f32_qu8_quantize_ukernel__scalar(v.count, v, s, zp, &vq)
        ep_qu8_f32_dequantize_ukernel__scalar(v.count, vq, s, zp, &vb)
        for (a, b) in zip(v, vb) { XCTAssertEqual(a, b, accuracy: s / 2 + 1e-6) }
    }

    func testWeightQuantizationIsPerChannelSymmetricAndKeepsZerosZero() {
        var rng = TestRandom(seed: 8)
        let rows = 9, cols = 21
        var w = (0..<(rows * cols)).map { _ in rng.float() * Float(1 + rng.int(0...4)) }
        for i in w.indices where i % 3 == 0 { w[i] = 0 }
        for k in 0..<cols { w[4 * cols + k] = 0 }  // an all-zero row
        let params = Int8LinearParams(xScale: 0.02, xZeroPoint: 3, yScale: 0.1, yZeroPoint: 7)
        let bias = (0..<rows).map { _ in rng.float() }
        let q = Int8Weights.quantize(rows: rows, cols: cols, w: w, rs: cols, cs: 1, bias: bias, params: params)
        for n in 0..<rows {
            let maxAbs = (0..<cols).map { abs(w[n * cols + $0]) }.max()!
            XCTAssertEqual(q.scales[n], maxAbs > 0 ? maxAbs / 127 : 1, accuracy: 1e-7)
            for k in 0..<cols {
                let v = q.values[n * cols + k]
                if w[n * cols + k] == 0 { XCTAssertEqual(v, 0, "pruned weights stay exactly zero") }
                XCTAssertGreaterThanOrEqual(v, -127)
                XCTAssertEqual(Float(v) * q.scales[n], w[n * cols + k], accuracy: q.scales[n] / 2 + 1e-7)
            }
            XCTAssertEqual(Float(q.bias[n]) * params.xScale * q.scales[n], bias[n], accuracy: params.xScale * q.scales[n] / 2 + 1e-6)
            XCTAssertEqual(q.multipliers[n], params.xScale * q.scales[n] / params.yScale)
        }
        // The transposed layout gives the same integers.
        var wt = [Float](repeating: 0, count: w.count)
        for n in 0..<rows { for k in 0..<cols { wt[k * rows + n] = w[n * cols + k] } }
        let qt = Int8Weights.quantize(rows: rows, cols: cols, w: wt, rs: 1, cs: rows, bias: bias, params: params)
        XCTAssertEqual(qt.values, q.values)
        XCTAssertEqual(qt.scales, q.scales)
    }

    // MARK: the prepared layer

    private func int8Gemm(rows: Int, cols: Int, batch: Int, w: [Float], bias: [Float], params: Int8LinearParams, relu: Bool,
                          policy: KernelPolicy, transB: Bool = true) throws -> PreparedOp {
        var node = Node(name: "fc", opType: "Gemm", inputs: ["x", "W", "b"], outputs: ["y"], attributes: ["transB": .int(transB ? 1 : 0)])
        if relu { FusedActivation.write(.relu, into: &node) }
        params.write(into: &node)
        let wt = Tensor(w, shape: transB ? [rows, cols] : [cols, rows]), bt = Tensor(bias, shape: [rows])
        let ctx = OpContext(node: node, opset: 13, inputTypes: [TensorType(.float32, [batch, cols]), wt.type, bt.type],
                            constants: [nil, wt, bt], policy: policy)
        return try OpRegistry.preparer(for: node)(ctx)
    }

    /// What the layer must compute, in plain integer arithmetic.
    private func reference(x: [Float], batch: Int, rows: Int, cols: Int, q: Int8Weights, params p: Int8LinearParams, relu: Bool) -> [Float] {
        let xq = x.map { Int32(p.quantizeInput($0)) }
        var y = [Float](repeating: 0, count: batch * rows)
        for b in 0..<batch { for n in 0..<rows {
            var acc = q.bias[n]
            for k in 0..<cols { acc += (xq[b * cols + k] - p.xZeroPoint) * Int32(q.values[n * cols + k]) }
            let f = min(max(Float(acc) * q.multipliers[n], Float((relu ? p.yZeroPoint : 0) - p.yZeroPoint)), Float(255 - p.yZeroPoint))
            let yq = Int32(f.rounded(.toNearestOrEven)) + p.yZeroPoint
            y[b * rows + n] = Float(yq - p.yZeroPoint) * p.yScale
        } }
        return y
    }

    func testEveryInt8FormatMatchesTheIntegerReferenceAndStaysNearF32() throws {
        var rng = TestRandom(seed: 17)
        let rows = 37, cols = 70
        var w = (0..<(rows * cols)).map { _ in rng.float() * 0.3 }
        // 4x4 and 8x4 blocks of zeros plus scattered zeros: every format fits, some blocks are empty.
        for r0 in stride(from: 0, to: rows, by: 8) { for c0 in stride(from: 0, to: cols, by: 4) where rng.int(0...9) < 6 {
            for r in r0..<min(rows, r0 + 8) { for c in c0..<min(cols, c0 + 4) { w[r * cols + c] = 0 } }
        } }
        let bias = (0..<rows).map { _ in rng.float() * 0.5 }
        for name in Int8LinearSelection.formatNames {
            for batch in [1, 3] {
                for relu in [false, true] {
                    let x = (0..<(batch * cols)).map { _ in rng.float() }
                    // Output range of the product before any Relu: with Relu the zero point is then
                    // above 0 and only the kernel's lower clamp keeps negative values out.
                    var pre = [Float](repeating: 0, count: batch * rows)
                    for b in 0..<batch { for n in 0..<rows {
                        var s = bias[n]
                        for k in 0..<cols { s += w[n * cols + k] * x[b * cols + k] }
                        pre[b * rows + n] = s
                    } }
                    let f32 = relu ? pre.map { max($0, 0) } : pre
                    let xp = Int8LinearParams.activation(lo: x.min()!, hi: x.max()!)
                    let yp = Int8LinearParams.activation(lo: pre.min()!, hi: pre.max()!)
                    XCTAssertGreaterThan(yp.zeroPoint, 0)
                    let params = Int8LinearParams(xScale: xp.scale, xZeroPoint: xp.zeroPoint, yScale: yp.scale, yZeroPoint: yp.zeroPoint)
                    let prepared = try int8Gemm(rows: rows, cols: cols, batch: batch, w: w, bias: bias, params: params, relu: relu,
                                                policy: KernelPolicy(linearFormat: name))
                    XCTAssertTrue(prepared.kernelName.contains("[\(name),"), "\(name): \(prepared.kernelName)")
                    XCTAssertTrue(prepared.kernelName.hasPrefix("ep_qs8_linear_"))
                    XCTAssertEqual(prepared.kernelName.contains("+relu"), relu)
                    let y = try runPrepared(prepared, inputs: [Tensor(x, shape: [batch, cols]), Tensor(w, shape: [rows, cols]),
                                                               Tensor(bias, shape: [rows])]).floats
                    let q = Int8Weights.quantize(rows: rows, cols: cols, w: w, rs: cols, cs: 1, bias: bias, params: params)
                    XCTAssertEqual(y, reference(x: x, batch: batch, rows: rows, cols: cols, q: q, params: params, relu: relu),
                                   "\(name) batch \(batch) relu \(relu): not the integer reference")
                    // Quantisation error: half an output step, plus the input and weight rounding
                    // carried through the sum (bounded loosely by the row's L1 norm).
                    for n in 0..<rows {
                        let l1 = (0..<cols).map { abs(w[n * cols + $0]) }.reduce(0, +)
                        let bound = yp.scale / 2 + xp.scale / 2 * l1 + q.scales[n] / 2 * Float(cols) + 1e-4
                        for b in 0..<batch {
                            XCTAssertEqual(y[b * rows + n], f32[b * rows + n], accuracy: bound, "\(name) row \(n)")
                        }
                    }
                }
            }
        }
    }

    func testTransposedGemmAndMatMulWithBiasAgree() throws {
        var rng = TestRandom(seed: 23)
        let rows = 12, cols = 33, batch = 2
        let w = (0..<(rows * cols)).map { _ in rng.float() }  // (n, k) row-major
        var kn = [Float](repeating: 0, count: w.count)
        for n in 0..<rows { for k in 0..<cols { kn[k * rows + n] = w[n * cols + k] } }
        let bias = (0..<rows).map { _ in rng.float() }
        let params = Int8LinearParams(xScale: 2 / 255, xZeroPoint: 128, yScale: 0.05, yZeroPoint: 120)
        let x = Tensor((0..<(batch * cols)).map { _ in rng.float() }, shape: [batch, cols])
        let a = try runPrepared(try int8Gemm(rows: rows, cols: cols, batch: batch, w: w, bias: bias, params: params, relu: false,
                                             policy: KernelPolicy()), inputs: [x, Tensor(w, shape: [rows, cols]), Tensor(bias, shape: [rows])])
        let b = try runPrepared(try int8Gemm(rows: rows, cols: cols, batch: batch, w: kn, bias: bias, params: params, relu: false,
                                             policy: KernelPolicy(), transB: false), inputs: [x, Tensor(kn, shape: [cols, rows]), Tensor(bias, shape: [rows])])
        var mm = Node(name: "mm", opType: "MatMul", inputs: ["x", "W", "b"], outputs: ["y"])
        params.write(into: &mm)
        let wt = Tensor(kn, shape: [cols, rows]), bt = Tensor(bias, shape: [rows])
        let ctx = OpContext(node: mm, opset: 13, inputTypes: [x.type, wt.type, bt.type], constants: [nil, wt, bt])
        let c = try runPrepared(try OpRegistry.preparer(for: mm)(ctx), inputs: [x, wt, bt])
        XCTAssertEqual(a.floats, b.floats)
        XCTAssertEqual(a.floats, c.floats)
    }

    func testBadParametersAndUnsupportedFormsAreOneLineErrors() throws {
        let w = Tensor([Float](repeating: 0.5, count: 8), shape: [2, 4])
        func prepare(_ edit: (inout Node) -> Void, inputs: [TensorType?]? = nil, constants: [Tensor?]? = nil) throws {
            var node = Node(name: "fc", opType: "Gemm", inputs: ["x", "W"], outputs: ["y"], attributes: ["transB": .int(1)])
            Int8LinearParams(xScale: 0.1, xZeroPoint: 0, yScale: 0.1, yZeroPoint: 0).write(into: &node)
            edit(&node)
            let ctx = OpContext(node: node, opset: 13, inputTypes: inputs ?? [TensorType(.float32, [1, 4]), w.type],
                                constants: constants ?? [nil, w])
            _ = try OpRegistry.preparer(for: node)(ctx)
        }
        assertThrows("incomplete (missing ep_q_y_zero_point)") { try prepare { $0.attributes[Int8LinearParams.yZeroPointKey] = nil } }
        assertThrows("ep_q_x_scale must be a positive finite float") { try prepare { $0.attributes[Int8LinearParams.xScaleKey] = .float(0) } }
        assertThrows("ep_q_y_scale must be a positive finite float") { try prepare { $0.attributes[Int8LinearParams.yScaleKey] = .float(.nan) } }
        assertThrows("ep_q_x_zero_point must be an integer in 0...255") { try prepare { $0.attributes[Int8LinearParams.xZeroPointKey] = .int(300) } }
        assertThrows("fused Relu only, not sigmoid") { try prepare { FusedActivation.write(.sigmoid, into: &$0) } }
        assertThrows("needs a constant 2-D f32 weight") {
            try prepare({ _ in }, inputs: [TensorType(.float32, [1, 4]), w.type], constants: [nil, nil])
        }
        assertThrows("transA = 0") {
            try prepare({ $0.attributes["transA"] = .int(1); $0.attributes["transB"] = .int(0) },
                        inputs: [TensorType(.float32, [4, 1]), TensorType(.float32, [4, 2])],
                        constants: [nil, Tensor([Float](repeating: 1, count: 8), shape: [4, 2])])
        }
        // Without the attributes the f32 path is untouched.
        let node = Node(name: "fc", opType: "Gemm", inputs: ["x", "W"], outputs: ["y"], attributes: ["transB": .int(1)])
        let ctx = OpContext(node: node, opset: 13, inputTypes: [TensorType(.float32, [1, 4]), w.type], constants: [nil, w])
        XCTAssertFalse(try OpRegistry.preparer(for: node)(ctx).kernelName.contains("qs8"))
    }

    // MARK: plans

    /// A two-layer int8 MLP with a block-sparse middle weight.
    private func mlp(_ rng: inout TestRandom, sparse: Bool) -> Graph {
        var w2 = rng.tensor([64, 96]).floats
        if sparse { for i in w2.indices where (i / 96 / 4 + i % 96 / 4) % 10 != 0 { w2[i] = 0 } }
        var fc1 = Node(name: "fc1", opType: "Gemm", inputs: ["x", "w1", "b1"], outputs: ["h"], attributes: ["transB": .int(1)])
        FusedActivation.write(.relu, into: &fc1)
        Int8LinearParams(xScale: 2 / 255, xZeroPoint: 128, yScale: 0.04, yZeroPoint: 0).write(into: &fc1)
        var fc2 = Node(name: "fc2", opType: "Gemm", inputs: ["h", "w2"], outputs: ["y"], attributes: ["transB": .int(1)])
        Int8LinearParams(xScale: 0.04, xZeroPoint: 0, yScale: 0.1, yZeroPoint: 128).write(into: &fc2)
        return Graph(nodes: [fc1, fc2],
                     inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(40)])],
                     outputs: [ValueInfo(name: "y", dtype: .float32, dims: [])],
                     initializers: ["w1": rng.tensor([96, 40]), "b1": rng.tensor([96]), "w2": Tensor(w2, shape: [64, 96])])
    }

    func testPlansNameInt8FormatsAndReplanFromThem() throws {
        var rng = TestRandom(seed: 31)
        let g = mlp(&rng, sparse: true)
        let plan = try InferenceSession(graph: g).plan(batch: 1)
        XCTAssertTrue(plan.steps.allSatisfy { $0.kernel.hasPrefix("ep_qs8_linear_") }, plan.steps.map(\.kernel).description)
        let formats = plan.weightFormats
        XCTAssertEqual(Set(formats.keys), ["fc1", "fc2"])
        XCTAssertTrue(formats.values.allSatisfy { Int8LinearSelection.formatNames.contains($0) }, formats.description)
        let replanned = try InferenceSession(graph: g, policy: KernelPolicy(layerFormats: ["fc2": "int8-bsr4x4"])).plan(batch: 1)
        XCTAssertTrue(replanned.steps[1].kernel.contains("[int8-bsr4x4, "), replanned.steps[1].kernel)
        XCTAssertTrue(replanned.steps[1].kernel.contains("forced"))
        let x = rng.tensor([1, 40])
        XCTAssertEqual(try plan.run([x])[0].floats, try replanned.run([x])[0].floats, "formats differ only in speed")
    }

    func testInt8RunAllocatesNothingOnOneAndTwoThreads() throws {
        try skipUnlessAllocationsCanBeCounted()
        var rng = TestRandom(seed: 37)
        let g = mlp(&rng, sparse: true)
        for threads in [1, 2] {
            for format in Int8LinearSelection.formatNames {
                let plan = try InferenceSession(graph: g, threads: threads, policy: KernelPolicy(linearFormat: format)).plan(batch: 3)
                let x = rng.tensor([3, 40])
                plan.inputs[0].pointer.copyMemory(from: x.raw, byteCount: x.byteCount)
                plan.run()
                ep_alloc_counter_start()
                for _ in 0..<10 { plan.run() }
                let allocations = ep_alloc_counter_stop()
                XCTAssertEqual(allocations, 0, "\(format), \(threads) thread(s): run() allocated \(allocations) times")
            }
        }
    }
}
