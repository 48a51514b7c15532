import EdgePruneCore

/// Int8-quantised layers (`Int8LinearParams` on a Gemm/MatMul) written as ONNX QDQ: the form
/// ONNX Runtime's quantisation tools produce and its graph optimiser turns into integer kernels.
///
///     x ─QuantizeLinear(xs, xzp)─DequantizeLinear─┐
///     W_int8 ─DequantizeLinear(ws[N], 0, axis)────┼─ Gemm/MatMul [─Relu] ─QuantizeLinear(ys, yzp)─DequantizeLinear─ y
///     bias_int32 ─DequantizeLinear(xs*ws[N], 0)───┘
///
/// The int8 weights, scales, int32 bias and multipliers come from `Int8Weights.quantize`, the
/// function the runtime prepares the layer with, so both runtimes start from the same integers.
/// W keeps its layout: per-channel axis 0 for Gemm with transB = 1 ([N, K]) and Conv
/// ([M, C, kh, kw]), axis 1 for transB = 0 and MatMul ([K, N]); alpha and beta are folded in (written as 1). Per-axis
/// DequantizeLinear needs opset 13 or later.
enum ONNXQDQExport {
    static func rewrite(_ graph: Graph, fresh: (String) -> String) throws -> Graph {
        var g = graph
        var nodes: [Node] = []
        var replaced: Set<String> = []
        for node in graph.nodes {
            guard let q = try Int8LinearParams.read(node) else {
                nodes.append(node)
                continue
            }
            guard g.opset >= 13 else {
                throw EdgePruneError(.unsupported, "\(node.label) is int8-quantised; its QDQ form needs opset 13 or later (per-channel DequantizeLinear), the model is opset \(g.opset)")
            }
            nodes += try lower(node, q, &g, fresh)
            replaced.formUnion(node.inputs.dropFirst())
        }
        g.nodes = nodes
        // The f32 weights and biases the QDQ form replaced, unless something else reads them.
        let read = Set(nodes.flatMap(\.inputs)).union(g.outputs.map(\.name))
        for name in replaced where !read.contains(name) { g.initializers[name] = nil }
        return g
    }

    private static func lower(_ node: Node, _ q: Int8LinearParams, _ g: inout Graph, _ fresh: (String) -> String) throws -> [Node] {
        let conv = node.opType == "Conv"
        guard node.opType == "Gemm" || node.opType == "MatMul" || conv, node.inputs.count >= 2,
              let b = g.initializers[node.inputs[1]], b.dtype == .float32, conv ? b.rank >= 3 : b.rank == 2 else {
            throw EdgePruneError(.unsupported, "\(node.label) is int8-quantised but is not a Gemm/MatMul/Conv with a constant f32 weight")
        }
        let gemm = node.opType == "Gemm"
        if gemm && (node.int("transA") ?? 0) != 0 { throw EdgePruneError(.unsupported, "\(node.label): int8 Gemm with transA = 1") }
        // Conv weights [M, C, kh, kw] are M rows of C*kh*kw, like Gemm's B with transB = 1.
        let transB = conv || (gemm && (node.int("transB") ?? 0) != 0)
        let alpha = gemm ? node.float("alpha") ?? 1 : 1, beta = gemm ? node.float("beta") ?? 1 : 1
        let rows = transB ? b.shape[0] : b.shape[1], cols = transB ? b.count / b.shape[0] : b.shape[0]
        // W (rows x cols) element (n, k): B[n, k] (transB) or B[k, n].
        let rs = transB ? cols : 1, cs = transB ? 1 : rows
        var w = b.floats
        if alpha != 1 { w = w.map { $0 * alpha } }
        var bias: [Float]? = nil
        if node.inputs.count > 2, !node.inputs[2].isEmpty, !(gemm && beta == 0) {
            guard let c = g.initializers[node.inputs[2]], c.dtype == .float32, c.count == rows || c.count == 1 else {
                throw EdgePruneError(.unsupported, "\(node.label): int8 layer's bias is not a constant of \(rows) values")
            }
            let v = c.floats
            bias = (0..<rows).map { beta * v[c.count == 1 ? 0 : $0] }
        }
        let weights = w.withUnsafeBufferPointer { wp in
            (bias ?? []).withUnsafeBufferPointer { bp in
                Int8Weights.quantize(rows: rows, cols: cols, w: wp.baseAddress!, rs: rs, cs: cs,
                                     bias: bias == nil ? nil : bp.baseAddress, params: q)
            }
        }
        let base = node.name.isEmpty ? fresh("int8_layer") : node.name
        func constant(_ suffix: String, _ t: Tensor) -> String {
            let name = fresh(base + "." + suffix)
            g.initializers[name] = t
            return name
        }
        let xs = constant("x_scale", Tensor([q.xScale], shape: []))
        let xzp = constant("x_zero_point", bytes([UInt8(q.xZeroPoint)], .uint8, []))
        let ys = constant("y_scale", Tensor([q.yScale], shape: []))
        let yzp = constant("y_zero_point", bytes([UInt8(q.yZeroPoint)], .uint8, []))
        var laid = [Int8](repeating: 0, count: rows * cols)  // B's layout
        for n in 0..<rows { for k in 0..<cols { laid[n * rs + k * cs] = weights.values[n * cols + k] } }
        let wq = constant("weight_quantized", bytes(laid.map { UInt8(bitPattern: $0) }, .int8, b.shape))
        let wscale = constant("weight_scale", Tensor(weights.scales, shape: [rows]))
        let wzp = constant("weight_zero_point", bytes([UInt8](repeating: 0, count: rows), .int8, [rows]))

        var out: [Node] = []
        let xq = fresh(base + "_x_quantized"), xdq = fresh(base + "_x_dequantized")
        out.append(Node(name: fresh(base + "_x_quantize"), opType: "QuantizeLinear", inputs: [node.inputs[0], xs, xzp], outputs: [xq]))
        out.append(Node(name: fresh(base + "_x_dequantize"), opType: "DequantizeLinear", inputs: [xq, xs, xzp], outputs: [xdq]))
        let wdq = fresh(base + "_weight_dequantized")
        out.append(Node(name: fresh(base + "_weight_dequantize"), opType: "DequantizeLinear", inputs: [wq, wscale, wzp], outputs: [wdq],
                        attributes: ["axis": .int(transB ? 0 : 1)]))
        var core = node
        Int8LinearParams.remove(from: &core)
        core.inputs = [xdq, wdq]
        if bias != nil {
            let bq = constant("bias_quantized", int32s(weights.bias, [rows]))
            let bscale = constant("bias_scale", Tensor((0..<rows).map { q.xScale * weights.scales[$0] }, shape: [rows]))
            let bzp = constant("bias_zero_point", int32s([Int32](repeating: 0, count: rows), [rows]))
            let bdq = fresh(base + "_bias_dequantized")
            out.append(Node(name: fresh(base + "_bias_dequantize"), opType: "DequantizeLinear", inputs: [bq, bscale, bzp], outputs: [bdq],
                            attributes: ["axis": .int(0)]))
            core.inputs.append(bdq)
        }
        if gemm {
            core.attributes["alpha"] = nil
            core.attributes["beta"] = nil
        }
        let yf = fresh(base + "_y_float"), yq = fresh(base + "_y_quantized")
        core.outputs = [yf]
        out.append(core)
        out.append(Node(name: fresh(base + "_y_quantize"), opType: "QuantizeLinear", inputs: [yf, ys, yzp], outputs: [yq]))
        out.append(Node(name: fresh(base + "_y_dequantize"), opType: "DequantizeLinear", inputs: [yq, ys, yzp], outputs: [node.outputs[0]]))
        return out
    }

    private static func bytes(_ v: [UInt8], _ dtype: DType, _ shape: [Int]) -> Tensor {
        let t = Tensor(zeros: TensorType(dtype, shape))
        v.withUnsafeBytes { t.raw.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return t
    }

    private static func int32s(_ v: [Int32], _ shape: [Int]) -> Tensor {
        let t = Tensor(zeros: TensorType(.int32, shape))
        v.withUnsafeBytes { t.raw.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return t
    }
}
