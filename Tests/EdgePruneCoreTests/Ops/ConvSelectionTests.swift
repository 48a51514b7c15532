import XCTest
@testable import EdgePruneCore

/// Group-1 convolutions in the sparse-weight x pixels formats: every forced format equals the
/// naive convolution (1x1 on the NCHW input, 3x3 and strided on im2col panels, several images,
/// pixel counts that leave partial panels), and dense weights are never probed onto them.
final class ConvSelectionTests: XCTestCase {
    private func conv(x: Tensor, w: Tensor, b: Tensor, stride: Int, pad: Int, policy: KernelPolicy) throws -> (Tensor, String) {
        var node = Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["y"],
                        attributes: ["strides": .ints([stride, stride]), "pads": .ints([pad, pad, pad, pad])])
        FusedActivation.write(.relu, into: &node)
        let ctx = OpContext(node: node, opset: 13, inputTypes: [x.type, w.type, b.type], constants: [nil, w, b], policy: policy)
        let prepared = try OpRegistry.preparer(for: node)(ctx)
        return (try runPrepared(prepared, inputs: [x, w, b]), prepared.kernelName)
    }

    func testEveryForcedFormatMatchesTheNaiveConvolution() throws {
        var rng = TestRandom(seed: 31)
        let cases = [(k: 1, stride: 1, pad: 0, size: 9), (k: 3, stride: 1, pad: 1, size: 11), (k: 3, stride: 2, pad: 1, size: 13)]
        for c in cases {
            let inC = 5, outC = 7
            let x = rng.tensor([2, inC, c.size, c.size])
            var wv = rng.tensor([outC, inC, c.k, c.k]).floats
            for i in wv.indices where rng.int(0...9) < 7 { wv[i] = 0 }
            let w = Tensor(wv, shape: [outC, inC, c.k, c.k]), b = rng.tensor([outC])
            var want = naiveConv(x: x, w: w, b: b, stride: [c.stride, c.stride], pads: [c.pad, c.pad, c.pad, c.pad],
                                 dilation: [1, 1], group: 1).floats
            want = want.map { max($0, 0) }
            for format in PixelFormats.formatNames + ["gemm"] {
                let (y, name) = try conv(x: x, w: w, b: b, stride: c.stride, pad: c.pad, policy: KernelPolicy(convFormat: format))
                if format != "gemm" {
                    XCTAssertTrue(name.contains(String(cString: PixelFormats.kernel(format: format)!.pointee.name)), "\(format): \(name)")
                }
                for (i, (g, e)) in zip(y.floats, want).enumerated() {
                    XCTAssertEqual(g, e, accuracy: 1e-4, "\(format) k\(c.k) s\(c.stride) at \(i)")
                    if abs(g - e) > 1e-4 { break }
                }
            }
        }
    }

    func testDenseWeightsKeepTheGemmPath() throws {
        var rng = TestRandom(seed: 2)
        let x = rng.tensor([1, 8, 10, 10]), w = rng.tensor([16, 8, 3, 3]), b = rng.tensor([16])
        let (_, name) = try conv(x: x, w: w, b: b, stride: 1, pad: 1, policy: KernelPolicy())
        XCTAssertTrue(name.hasPrefix("im2col+ep_f32_gemm"), name)
    }
}
