import XCTest
@testable import EdgePruneCore

/// Deterministic random data and simple reference implementations for the core tests.
struct TestRandom {
    var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }

    /// Uniform in [-1, 1).
    mutating func float() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }

    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }

    mutating func tensor(_ shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor((0..<n).map { _ in float() }, shape: shape)
    }
}

func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.count == b.count)
    return zip(a.floats, b.floats).map { abs($0 - $1) }.max() ?? 0
}

func evaluate(_ op: String, _ inputs: [Tensor?], attributes: [String: Attribute] = [:], opset: Int = 13,
              outputs: Int = 1) throws -> [Tensor] {
    let node = Node(name: "test", opType: op, inputs: inputs.indices.map { inputs[$0] == nil ? "" : "in\($0)" },
                    outputs: (0..<outputs).map { "out\($0)" }, attributes: attributes)
    return try OpEvaluator.evaluate(node, opset: opset, inputs: inputs)
}

/// Runs a prepared op once on fresh output and scratch buffers; returns output 0.
func runPrepared(_ prepared: PreparedOp, inputs: [Tensor]) throws -> Tensor {
    guard case .kernel(let k) = prepared.form else { throw EdgePruneError(.unsupported, "not a kernel") }
    let out = Tensor(zeros: prepared.outputs[0])
    let scratch = Buffer(byteCount: prepared.scratchBytes)
    let ins = inputs.map { UnsafeRawPointer($0.raw) }
    let outs = [out.raw]
    ins.withUnsafeBufferPointer { i in outs.withUnsafeBufferPointer { o in k.run(inputs: i.baseAddress!, outputs: o.baseAddress!, scratch: scratch.raw) } }
    return out
}

/// Asserts that `body` throws an EdgePruneError whose message contains `fragment`.
func assertThrows(_ fragment: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected an error containing '\(fragment)'", file: file, line: line)
    } catch let e as EdgePruneError {
        XCTAssertTrue(e.description.contains(fragment), "'\(e.description)' lacks '\(fragment)'", file: file, line: line)
        XCTAssertFalse(e.description.contains("\n"), "error spans lines", file: file, line: line)
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
    }
}

/// Naive NCHW convolution (1-D inputs as height 1), the oracle for Conv.
func naiveConv(x: Tensor, w: Tensor, b: Tensor?, stride: [Int], pads: [Int], dilation: [Int], group: Int) -> Tensor {
    let is1D = x.rank == 3
    let xs = is1D ? [x.shape[0], x.shape[1], 1, x.shape[2]] : x.shape
    let ws = is1D ? [w.shape[0], w.shape[1], 1, w.shape[2]] : w.shape
    let (sh, sw) = is1D ? (1, stride[0]) : (stride[0], stride[1])
    let (dh, dw) = is1D ? (1, dilation[0]) : (dilation[0], dilation[1])
    let (pt, pl, pb, pr) = is1D ? (0, pads[0], 0, pads[1]) : (pads[0], pads[1], pads[2], pads[3])
    let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3])
    let (m, cg, kh, kw) = (ws[0], ws[1], ws[2], ws[3])
    let oh = (h + pt + pb - dh * (kh - 1) - 1) / sh + 1
    let ow = (wd + pl + pr - dw * (kw - 1) - 1) / sw + 1
    let xv = x.floats, wv = w.floats, bv = b?.floats
    var out = [Float](repeating: 0, count: n * m * oh * ow)
    let mg = m / group
    for i in 0..<n { for o in 0..<m {
        let g = o / mg
        for y in 0..<oh { for xx in 0..<ow {
            var acc: Float = bv?[o] ?? 0
            for ci in 0..<cg { for ky in 0..<kh { for kx in 0..<kw {
                let iy = y * sh - pt + ky * dh, ix = xx * sw - pl + kx * dw
                if iy < 0 || iy >= h || ix < 0 || ix >= wd { continue }
                acc += xv[((i * c + g * cg + ci) * h + iy) * wd + ix] * wv[((o * cg + ci) * kh + ky) * kw + kx]
            } } }
            out[((i * m + o) * oh + y) * ow + xx] = acc
        } }
    } }
    return Tensor(out, shape: is1D ? [n, m, ow] : [n, m, oh, ow])
}

/// Path of a file under Tests/Fixtures.
func fixturePath(_ relative: String) -> String {
    let here = "\(#filePath)"
    let root = here.components(separatedBy: "/Tests/").first!
    return root + "/Tests/Fixtures/" + relative
}
