import XCTest
@testable import EdgePruneCore

final class ConvOpsTests: XCTestCase {
    func testRandomGeometriesAgainstNaiveConvolution() throws {
        var rng = TestRandom(seed: 11)
        for trial in 0..<120 {
            let is1D = trial % 4 == 0
            let group = [1, 1, 2, 3][trial % 4 == 1 ? 3 : rng.int(0...2)]
            let depthwise = trial % 5 == 0
            let cg = depthwise ? 1 : rng.int(1...4), mg = depthwise ? 1 : rng.int(1...4)
            let g = depthwise ? rng.int(1...6) : group
            let c = cg * g, m = mg * g
            let h = is1D ? 1 : rng.int(1...9), w = rng.int(1...11)
            let kh = is1D ? 1 : rng.int(1...3), kw = rng.int(1...3)
            let stride = is1D ? [rng.int(1...2)] : [rng.int(1...2), rng.int(1...2)]
            let dil = is1D ? [rng.int(1...2)] : [rng.int(1...2), rng.int(1...2)]
            let pads = is1D ? [rng.int(0...2), rng.int(0...2)] : [rng.int(0...2), rng.int(0...2), rng.int(0...2), rng.int(0...2)]
            // Skip geometries whose window does not fit.
            if (h + (is1D ? 0 : pads[0] + pads[2]) - (dil[0] * (kh - 1) + 1)) < 0 && !is1D { continue }
            if (w + (is1D ? pads[0] + pads[1] : pads[1] + pads[3]) - (dil.last! * (kw - 1) + 1)) < 0 { continue }
            let n = rng.int(1...2)
            let x = rng.tensor(is1D ? [n, c, w] : [n, c, h, w])
            let wt = rng.tensor(is1D ? [m, cg, kw] : [m, cg, kh, kw])
            let b: Tensor? = trial % 3 == 0 ? nil : rng.tensor([m])
            let attrs: [String: Attribute] = ["strides": .ints(stride), "dilations": .ints(dil), "pads": .ints(pads), "group": .int(g)]
            let y = try evaluate("Conv", [x, wt] + (b.map { [$0] } ?? []), attributes: attrs)[0]
            let want = naiveConv(x: x, w: wt, b: b, stride: stride, pads: pads, dilation: dil, group: g)
            XCTAssertEqual(y.shape, want.shape, "trial \(trial)")
            XCTAssertLessThan(maxAbsDiff(y, want), 1e-4, "trial \(trial) shape \(x.shape) w \(wt.shape) g\(g) s\(stride) d\(dil) p\(pads)")
        }
    }

    func testPointwiseOverFewPixelsRunsPixelMajor() throws {
        var rng = TestRandom(seed: 17)
        for (pixels, outC, batch) in [((2, 2), 40, 1), ((1, 3), 17, 2), ((3, 3), 64, 1), ((1, 1), 16, 3)] {
            let x = rng.tensor([batch, 24, pixels.0, pixels.1]), w = rng.tensor([outC, 24, 1, 1]), b = rng.tensor([outC])
            var node = Node(name: "pw", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["y"])
            FusedActivation.write(.clip(min: -0.3, max: 0.4), into: &node)
            let ctx = OpContext(node: node, opset: 13, inputTypes: [x.type, w.type, b.type], constants: [nil, w, b])
            let prepared = try OpRegistry.preparer(for: node)(ctx)
            XCTAssertTrue(prepared.kernelName.hasPrefix("pixel-major"), prepared.kernelName)
            let y = try OpEvaluator.evaluate(node, opset: 13, inputs: [x, w, b])[0]
            let want = naiveConv(x: x, w: w, b: b, stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], group: 1)
            let clipped = Tensor(want.floats.map { min(max($0, -0.3), 0.4) }, shape: want.shape)
            XCTAssertLessThan(maxAbsDiff(y, clipped), 1e-5, "pixels \(pixels) outC \(outC) batch \(batch)")
        }
    }

    func testAutoPadSameUpperAndLower() throws {
        var rng = TestRandom(seed: 5)
        let x = rng.tensor([1, 2, 5, 6]), w = rng.tensor([3, 2, 3, 2])
        for (mode, pads) in [("SAME_UPPER", [1, 0, 1, 1]), ("SAME_LOWER", [1, 1, 1, 0])] {
            let y = try evaluate("Conv", [x, w], attributes: ["auto_pad": .string(mode)])[0]
            let want = naiveConv(x: x, w: w, b: nil, stride: [1, 1], pads: pads, dilation: [1, 1], group: 1)
            XCTAssertEqual(y.shape, [1, 3, 5, 6])
            XCTAssertLessThan(maxAbsDiff(y, want), 1e-5, mode)
        }
        let valid = try evaluate("Conv", [x, w], attributes: ["auto_pad": .string("VALID")])[0]
        XCTAssertEqual(valid.shape, [1, 3, 3, 5])
    }

    func testFusedActivationsApply() throws {
        var rng = TestRandom(seed: 9)
        let x = rng.tensor([1, 3, 4, 4]), w = rng.tensor([4, 3, 3, 3])
        let plain = try evaluate("Conv", [x, w], attributes: ["pads": .ints([1, 1, 1, 1])])[0]
        for f in [UnaryFunction.relu, .clip(min: -0.5, max: 0.5), .leakyRelu(alpha: 0.1), .sigmoid] {
            var node = Node(name: "c", opType: "Conv", inputs: ["x", "w"], outputs: ["y"], attributes: ["pads": .ints([1, 1, 1, 1])])
            FusedActivation.write(f, into: &node)
            let y = try OpEvaluator.evaluate(node, opset: 13, inputs: [x, w])[0]
            let want = Tensor(zeros: plain.type)
            f.apply(plain.pointer(as: Float.self), want.pointer(as: Float.self), plain.count)
            XCTAssertLessThan(maxAbsDiff(y, want), 1e-5, f.name)
        }
    }

    func testErrorsNameTheProblem() {
        let x = Tensor(zeros: TensorType(.float32, [1, 3, 4, 4]))
        assertThrows("channels do not match") { _ = try evaluate("Conv", [x, Tensor(zeros: TensorType(.float32, [2, 2, 3, 3]))]) }
        assertThrows("3-D convolution is not supported") {
            _ = try evaluate("Conv", [Tensor(zeros: TensorType(.float32, [1, 1, 2, 2, 2])), Tensor(zeros: TensorType(.float32, [1, 1, 1, 1, 1]))])
        }
        assertThrows("larger than the padded input") { _ = try evaluate("Conv", [x, Tensor(zeros: TensorType(.float32, [2, 3, 5, 5]))]) }
        let node = Node(name: "c", opType: "Conv", inputs: ["x", "w"], outputs: ["y"])
        let ctx = OpContext(node: node, opset: 13, inputTypes: [x.type, TensorType(.float32, [2, 3, 3, 3])], constants: [nil, nil])
        assertThrows("weights must be constant") { _ = try OpRegistry.preparer(for: node)(ctx) }
    }
}
