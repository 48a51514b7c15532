// XCTest versions of the key CEdgeKernels checks (the standalone C program in Tests/CKernelTests
// runs many more random cases): every GEMM variant this CPU supports against the scalar reference
// and a double-precision product, im2col + GEMM against a naive convolution, and every depthwise
// variant against the scalar reference and naive loops.
import CEdgeKernels
import XCTest

/// Deterministic xorshift generator so failures reproduce.
private struct TestRNG {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    /// Uniform integer in the closed range.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    /// Uniform float in [-1, 1].
    mutating func float() -> Float { Float(Double(next() % 2_000_001) / 1_000_000.0 - 1.0) }

    mutating func floats(_ count: Int) -> [Float] { (0..<count).map { _ in float() } }

    mutating func bool() -> Bool { next() & 1 == 1 }

    mutating func clamp() -> ep_f32_minmax_params {
        switch int(0...3) {
        case 0: return ep_f32_minmax_params(min: -.infinity, max: .infinity)
        case 1: return ep_f32_minmax_params(min: 0, max: .infinity)
        case 2: return ep_f32_minmax_params(min: 0, max: 6)
        default:
            let a = float(), b = float()
            return ep_f32_minmax_params(min: Swift.min(a, b), max: Swift.max(a, b))
        }
    }
}

private let sentinel: Float = 1_234_567

/// |got - want| within 1e-5 * K relative (absolute near zero).
private func close(_ got: Float, _ want: Double, k: Int) -> Bool {
    let tol = 1e-5 * Double(Swift.max(k, 1)) * Swift.max(1.0, abs(want))
    return abs(Double(got) - want) <= tol
}

private func clamped(_ v: Double, _ p: ep_f32_minmax_params) -> Double {
    Swift.min(Swift.max(v, Double(p.min)), Double(p.max))
}

/// Runs body with a pointer to the array's elements, or nil for a nil array (optional biases).
private func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}

private func gemmConfigs() -> [UnsafePointer<ep_f32_gemm_config>] {
    var buffer = [UnsafePointer<ep_f32_gemm_config>?](repeating: nil, count: 16)
    let count = ep_f32_gemm_list_configs(&buffer, 16)
    return buffer.prefix(count).compactMap { $0 }
}

private func dwconvConfigs() -> [UnsafePointer<ep_f32_dwconv2d_config>] {
    var buffer = [UnsafePointer<ep_f32_dwconv2d_config>?](repeating: nil, count: 8)
    let count = ep_f32_dwconv2d_list_configs(&buffer, 8)
    return buffer.prefix(count).compactMap { $0 }
}

private func kernelName(_ cfg: UnsafePointer<ep_f32_gemm_config>) -> String {
    String(cString: cfg.pointee.name)
}

/// Naive convolution of one output point for one output channel (weights: in_c x k_h x k_w).
private func naiveConvPoint(
    _ g: ep_conv2d_geometry, _ input: [Float], inputOffset: Int = 0, _ w: [Float],
    weightOffset: Int, oh: Int, ow: Int
) -> Double {
    var acc = 0.0
    for c in 0..<g.in_c {
        for kh in 0..<g.k_h {
            for kw in 0..<g.k_w {
                let ih = oh * g.stride_h + kh * g.dil_h - g.pad_top
                let iw = ow * g.stride_w + kw * g.dil_w - g.pad_left
                if ih < 0 || iw < 0 || ih >= g.in_h || iw >= g.in_w { continue }
                acc += Double(input[inputOffset + (c * g.in_h + ih) * g.in_w + iw])
                    * Double(w[weightOffset + (c * g.k_h + kh) * g.k_w + kw])
            }
        }
    }
    return acc
}

/// Random convolution geometry (stride 1...3, dilation 1...2, asymmetric pads, optional 1-D).
private func randomGeometry(_ rng: inout TestRNG, oneD: Bool, maxW: Int) -> ep_conv2d_geometry {
    while true {
        let inC = rng.int(1...5)
        let inH = oneD ? 1 : rng.int(1...10)
        let inW = rng.int(1...maxW)
        let kH = oneD ? 1 : rng.int(1...4), kW = rng.int(1...5)
        let sH = oneD ? 1 : rng.int(1...3), sW = rng.int(1...3)
        let dH = oneD ? 1 : rng.int(1...2), dW = rng.int(1...2)
        let pt = oneD ? 0 : rng.int(0...2), pl = rng.int(0...3)
        let pb = oneD ? 0 : rng.int(0...2), pr = rng.int(0...3)
        let spanH = dH * (kH - 1) + 1, spanW = dW * (kW - 1) + 1
        let ph = inH + pt + pb, pw = inW + pl + pr
        if ph < spanH || pw < spanW { continue }
        return ep_conv2d_geometry(
            in_c: inC, in_h: inH, in_w: inW, k_h: kH, k_w: kW, stride_h: sH, stride_w: sW,
            dil_h: dH, dil_w: dW, pad_top: pt, pad_left: pl,
            out_h: (ph - spanH) / sH + 1, out_w: (pw - spanW) / sW + 1)
    }
}

final class CEdgeKernelsTests: XCTestCase {
    func testConfigsAndFeatures() {
        let configs = gemmConfigs()
        XCTAssertFalse(configs.isEmpty)
        let selected = ep_f32_gemm_get_config()!
        XCTAssertTrue(configs.contains(selected), "selected \(kernelName(selected)) is not listed")
        let reference = ep_f32_gemm_get_reference_config()!
        XCTAssertTrue(kernelName(reference).hasSuffix("__scalar"))
        for cfg in configs {
            XCTAssertGreaterThan(cfg.pointee.mr, 0)
            XCTAssertGreaterThan(cfg.pointee.nr, 0)
            XCTAssertTrue(kernelName(cfg).hasPrefix("ep_f32_gemm_"))
        }
        let dw = dwconvConfigs()
        XCTAssertEqual(String(cString: dw.last!.pointee.name), String(cString: ep_f32_dwconv2d_name()))
        let f = ep_cpu_get_features()!.pointee
        #if arch(arm64)
        XCTAssertEqual(f.neon, 1)
        #else
        XCTAssertEqual(f.neon, 0)
        #endif
    }

    func testGemmVariantsMatchReference() {
        var rng = TestRNG(seed: 0x5EED_1234)
        let configs = gemmConfigs()
        let reference = ep_f32_gemm_get_reference_config()!
        var shapes: [(Int, Int, Int)] = [(1, 1, 1), (1, 10, 64), (1, 17, 300), (6, 16, 9), (7, 17, 9),
                                         (16, 64, 144), (64, 16, 27), (3, 5, 0)]
        for _ in 0..<200 { shapes.append((rng.int(1...70), rng.int(1...70), rng.int(1...70))) }
        for (m, n, k) in shapes {
            let lda = k + (rng.bool() ? rng.int(0...3) : 0)
            let ldc = n + (rng.bool() ? rng.int(0...3) : 0)
            let transposedB = rng.bool()
            let a = rng.floats(m * lda), b = rng.floats(k * n)
            let biasM: [Float]? = rng.bool() ? rng.floats(m) : nil
            let biasN: [Float]? = rng.bool() ? rng.floats(n) : nil
            var params = rng.clamp()
            let (rs, cs) = transposedB ? (1, k) : (n, 1)

            // Double-precision oracle for the reference kernel.
            var want = [Double](repeating: 0, count: m * n)
            for i in 0..<m {
                for j in 0..<n {
                    var acc = 0.0
                    for p in 0..<k { acc += Double(a[i * lda + p]) * Double(b[p * rs + j * cs]) }
                    if let bm = biasM { acc += Double(bm[i]) }
                    if let bn = biasN { acc += Double(bn[j]) }
                    want[i * n + j] = clamped(acc, params)
                }
            }

            var refOut = [Float]()
            for cfg in [reference] + configs.filter({ $0 != reference }) {
                let nr = cfg.pointee.nr
                var packed = [Float](repeating: sentinel, count: ep_f32_gemm_packed_b_size(k, n, nr))
                ep_f32_gemm_pack_b(k, n, nr, b, rs, cs, &packed)
                var c = [Float](repeating: sentinel, count: m * ldc + 8)
                withOptionalPointer(biasM) { bm in
                    withOptionalPointer(biasN) { bn in
                        ep_f32_gemm(cfg, m, n, k, a, lda, packed, &c, ldc, bm, bn, &params)
                    }
                }
                var failures = 0
                for i in 0..<m {
                    for j in 0..<ldc {
                        let got = c[i * ldc + j]
                        if j >= n {
                            if got != sentinel { failures += 1 }
                            continue
                        }
                        let expected = cfg == reference ? want[i * n + j] : Double(refOut[i * ldc + j])
                        if !close(got, expected, k: k) { failures += 1 }
                    }
                }
                for i in (m * ldc)..<c.count where c[i] != sentinel { failures += 1 }
                XCTAssertEqual(failures, 0, "\(kernelName(cfg)) m=\(m) n=\(n) k=\(k) lda=\(lda) ldc=\(ldc)")
                if cfg == reference { refOut = c }
            }
        }
    }

    func testIm2colGemmMatchesNaiveConv() {
        var rng = TestRNG(seed: 0xC0_4F)
        for iteration in 0..<120 {
            let oneD = iteration % 4 == 3
            var g = randomGeometry(&rng, oneD: oneD, maxW: oneD ? 40 : 12)
            let K = g.in_c * g.k_h * g.k_w, N = g.out_h * g.out_w
            let outC = rng.int(1...12)
            let input = rng.floats(g.in_c * g.in_h * g.in_w)
            let w = rng.floats(outC * K), bias = rng.floats(outC)
            var params = rng.clamp()
            for cfg in gemmConfigs() {
                let nr = cfg.pointee.nr
                var packed = [Float](repeating: sentinel, count: ep_f32_gemm_packed_b_size(K, N, nr))
                ep_f32_im2col_packed(&g, nr, input, &packed)
                XCTAssertFalse(packed.contains(sentinel), "im2col left holes nr=\(nr) \(g)")
                var out = [Float](repeating: 0, count: outC * N)
                ep_f32_gemm(cfg, outC, N, K, w, K, packed, &out, N, bias, nil, &params)
                var failures = 0
                for o in 0..<outC {
                    for oh in 0..<g.out_h {
                        for ow in 0..<g.out_w {
                            let conv = naiveConvPoint(g, input, w, weightOffset: o * K, oh: oh, ow: ow)
                            let want = clamped(conv + Double(bias[o]), params)
                            if !close(out[o * N + oh * g.out_w + ow], want, k: K) { failures += 1 }
                        }
                    }
                }
                XCTAssertEqual(failures, 0, "conv via \(kernelName(cfg)) out_c=\(outC) \(g)")
            }
        }
    }

    func testDepthwiseVariantsMatchReference() {
        var rng = TestRNG(seed: 0xD3_9C)
        let configs = dwconvConfigs()
        XCTAssertTrue(String(cString: configs[0].pointee.name).hasSuffix("__scalar"))
        for iteration in 0..<150 {
            let oneD = iteration % 4 == 3
            var g = randomGeometry(&rng, oneD: oneD, maxW: iteration % 2 == 0 ? 12 : 70)
            let channels = rng.int(1...4)
            let plane = g.in_h * g.in_w, taps = g.k_h * g.k_w, outPlane = g.out_h * g.out_w
            let input = rng.floats(channels * plane), w = rng.floats(channels * taps)
            let bias: [Float]? = rng.bool() ? rng.floats(channels) : nil
            var params = rng.clamp()
            var reference = [Float]()
            for cfg in configs {
                var out = [Float](repeating: sentinel, count: channels * outPlane + 8)
                withOptionalPointer(bias) { b in
                    cfg.pointee.fn(&g, channels, input, w, b, &out, &params)
                }
                var failures = 0
                for i in (channels * outPlane)..<out.count where out[i] != sentinel { failures += 1 }
                var single = g
                single.in_c = 1
                for c in 0..<channels {
                    for oh in 0..<g.out_h {
                        for ow in 0..<g.out_w {
                            let idx = c * outPlane + oh * g.out_w + ow
                            let want: Double
                            if reference.isEmpty {
                                let conv = naiveConvPoint(
                                    single, input, inputOffset: c * plane, w, weightOffset: c * taps,
                                    oh: oh, ow: ow)
                                want = clamped(conv + Double(bias?[c] ?? 0), params)
                            } else {
                                want = Double(reference[idx])
                            }
                            if !close(out[idx], want, k: taps) { failures += 1 }
                        }
                    }
                }
                XCTAssertEqual(failures, 0, "\(String(cString: cfg.pointee.name)) channels=\(channels) \(g)")
                if reference.isEmpty { reference = out }
            }
            // The public entry point dispatches to the preferred variant.
            var out = [Float](repeating: 0, count: channels * outPlane)
            withOptionalPointer(bias) { b in
                ep_f32_dwconv2d(&g, channels, input, w, b, &out, &params)
            }
            XCTAssertTrue(zip(out, reference).allSatisfy { close($0, Double($1), k: taps) })
        }
    }
}
