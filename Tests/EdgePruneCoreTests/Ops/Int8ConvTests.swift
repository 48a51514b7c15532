import CEdgeKernels
import XCTest
@testable import EdgePruneCore

/// int8 group-1 Conv: bit-equal to an integer reference on odd geometries (padding, stride,
/// dilation, 1-D) in every int8 format, near the f32 Conv, and grouped convolutions refused.
final class Int8ConvTests: XCTestCase {
    struct Geometry { let inC, outC, h, w, kh, kw, stride, dil, pad: Int }

    private func prepare(_ geo: Geometry, batch: Int, w: Tensor, bias: Tensor, params: Int8LinearParams, relu: Bool,
                         policy: KernelPolicy, oneD: Bool = false) throws -> PreparedOp {
        var attrs: [String: Attribute] = ["strides": .ints(oneD ? [geo.stride] : [geo.stride, geo.stride]),
                                          "dilations": .ints(oneD ? [geo.dil] : [geo.dil, geo.dil]),
                                          "pads": .ints(oneD ? [geo.pad, geo.pad] : [geo.pad, geo.pad, geo.pad, geo.pad])]
        attrs["group"] = .int(1)
        var node = Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["y"], attributes: attrs)
        if relu { FusedActivation.write(.relu, into: &node) }
        params.write(into: &node)
        let x = TensorType(.float32, oneD ? [batch, geo.inC, geo.w] : [batch, geo.inC, geo.h, geo.w])
        let ctx = OpContext(node: node, opset: 13, inputTypes: [x, w.type, bias.type], constants: [nil, w, bias], policy: policy)
        return try OpRegistry.preparer(for: node)(ctx)
    }

    /// The integer computation the layer must perform, from first principles (NCHW loops).
    private func reference(x: [Float], batch: Int, geo: Geometry, oh: Int, ow: Int, oneD: Bool, w: Tensor, bias: [Float],
                           params p: Int8LinearParams, relu: Bool) -> [Float] {
        let k = geo.inC * (oneD ? 1 : geo.kh) * geo.kw, h = oneD ? 1 : geo.h, kh = oneD ? 1 : geo.kh
        let q = Int8Weights.quantize(rows: geo.outC, cols: k, w: w.pointer(as: Float.self), rs: k, cs: 1, bias: bias, params: p)
        var y = [Float](repeating: 0, count: batch * geo.outC * oh * ow)
        for n in 0..<batch { for m in 0..<geo.outC { for r in 0..<oh { for c in 0..<ow {
            var acc = q.bias[m]
            for ci in 0..<geo.inC { for i in 0..<kh { for j in 0..<geo.kw {
                let ih = (oneD ? 0 : r * geo.stride + i * geo.dil - geo.pad), iw = c * geo.stride + j * geo.dil - geo.pad
                var xq = p.xZeroPoint
                if ih >= 0, ih < h, iw >= 0, iw < geo.w { xq = Int32(p.quantizeInput(x[((n * geo.inC + ci) * h + ih) * geo.w + iw])) }
                acc += (xq - p.xZeroPoint) * Int32(q.values[m * k + (ci * kh + i) * geo.kw + j])
            } } }
            let lo = Float((relu ? p.yZeroPoint : 0) - p.yZeroPoint), hi = Float(255 - p.yZeroPoint)
            let yq = Int32(min(max(Float(acc) * q.multipliers[m], lo), hi).rounded(.toNearestOrEven)) + p.yZeroPoint
            y[((n * geo.outC + m) * oh + r) * ow + c] = Float(yq - p.yZeroPoint) * p.yScale
        } } } }
        return y
    }

    func testGeometriesAndFormatsMatchTheIntegerReference() throws {
        var rng = TestRandom(seed: 41)
        let cases = [Geometry(inC: 3, outC: 9, h: 7, w: 6, kh: 3, kw: 3, stride: 1, dil: 1, pad: 1),
                     Geometry(inC: 5, outC: 16, h: 9, w: 11, kh: 3, kw: 2, stride: 2, dil: 1, pad: 0),
                     Geometry(inC: 4, outC: 8, h: 8, w: 8, kh: 3, kw: 3, stride: 1, dil: 2, pad: 2),
                     Geometry(inC: 6, outC: 12, h: 5, w: 5, kh: 1, kw: 1, stride: 1, dil: 1, pad: 0)]
        for (ci, geo) in cases.enumerated() {
            for oneD in [false, true] where !(oneD && geo.kh != geo.kw) {
                let wShape = oneD ? [geo.outC, geo.inC, geo.kw] : [geo.outC, geo.inC, geo.kh, geo.kw]
                var wv = rng.tensor(wShape).floats
                for i in wv.indices where i % 5 < 3 { wv[i] = 0 }
                let w = Tensor(wv, shape: wShape), bias = rng.tensor([geo.outC])
                let batch = 2, h = oneD ? 1 : geo.h
                let oh = oneD ? 1 : (geo.h + 2 * geo.pad - (geo.kh - 1) * geo.dil - 1) / geo.stride + 1
                let ow = (geo.w + 2 * geo.pad - (geo.kw - 1) * geo.dil - 1) / geo.stride + 1
                let x = (0..<(batch * geo.inC * h * geo.w)).map { _ in rng.float() }
                let params = Int8LinearParams(xScale: 2 / 255, xZeroPoint: 128, yScale: 0.03, yZeroPoint: 100)
                for format in Int8LinearSelection.formatNames {
                    for relu in [false, true] {
                        let prepared = try prepare(geo, batch: batch, w: w, bias: bias, params: params, relu: relu,
                                                   policy: KernelPolicy(linearFormat: format), oneD: oneD)
                        XCTAssertTrue(prepared.kernelName.hasPrefix("im2col+ep_qs8_linear_"), prepared.kernelName)
                        XCTAssertEqual(prepared.outputs[0].shape, oneD ? [batch, geo.outC, ow] : [batch, geo.outC, oh, ow])
                        let xt = Tensor(x, shape: oneD ? [batch, geo.inC, geo.w] : [batch, geo.inC, geo.h, geo.w])
                        let y = try runPrepared(prepared, inputs: [xt, w, bias]).floats
                        XCTAssertEqual(y, reference(x: x, batch: batch, geo: geo, oh: oh, ow: ow, oneD: oneD, w: w, bias: bias.floats,
                                                    params: params, relu: relu), "case \(ci) 1-D \(oneD) \(format) relu \(relu)")
                    }
                }
            }
        }
    }

    func testInt8ConvStaysNearF32AndGroupedConvIsRefused() throws {
        var rng = TestRandom(seed: 43)
        let geo = Geometry(inC: 4, outC: 8, h: 6, w: 6, kh: 3, kw: 3, stride: 1, dil: 1, pad: 1)
        let w = rng.tensor([8, 4, 3, 3]), bias = rng.tensor([8]), x = rng.tensor([1, 4, 6, 6])
        let f32 = try evaluate("Conv", [x, w, bias], attributes: ["pads": .ints([1, 1, 1, 1])])[0].floats
        let yr = Int8LinearParams.activation(lo: f32.min()!, hi: f32.max()!)
        let params = Int8LinearParams(xScale: 2 / 255, xZeroPoint: 128, yScale: yr.scale, yZeroPoint: yr.zeroPoint)
        let y = try runPrepared(try prepare(geo, batch: 1, w: w, bias: bias, params: params, relu: false, policy: KernelPolicy()),
                                inputs: [x, w, bias]).floats
        // Half an output step plus input and weight rounding through 36 taps.
        let bound = yr.scale / 2 + 36 * (params.xScale / 2 + 1 / 127.0 * 1.0)
        for (a, b) in zip(y, f32) { XCTAssertEqual(a, b, accuracy: bound) }
        var node = Node(name: "dw", opType: "Conv", inputs: ["x", "w"], outputs: ["y"], attributes: ["group": .int(4)])
        params.write(into: &node)
        let dw = rng.tensor([4, 1, 3, 3])
        let ctx = OpContext(node: node, opset: 13, inputTypes: [x.type, dw.type], constants: [nil, dw])
        assertThrows("group-1 convolutions only") { _ = try OpRegistry.preparer(for: node)(ctx) }
    }
}
