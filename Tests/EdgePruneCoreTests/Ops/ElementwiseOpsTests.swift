import Foundation
import XCTest
@testable import EdgePruneCore

final class ElementwiseOpsTests: XCTestCase {
    func testUnaryFunctionsMatchDefinitions() throws {
        let x = Tensor([-2, -0.5, 0, 0.5, 3], shape: [5])
        let cases: [(String, [String: Attribute], (Float) -> Float)] = [
            ("Relu", [:], { max($0, 0) }),
            ("LeakyRelu", ["alpha": .float(0.2)], { $0 < 0 ? 0.2 * $0 : $0 }),
            ("Sigmoid", [:], { 1 / (1 + Float(Foundation.exp(Double(-$0)))) }),
            ("Tanh", [:], { Float(Foundation.tanh(Double($0))) }),
            ("Elu", ["alpha": .float(0.5)], { $0 >= 0 ? $0 : 0.5 * (Float(Foundation.exp(Double($0))) - 1) }),
            ("Softplus", [:], { Float(Foundation.log(1 + Foundation.exp(Double($0)))) }),
            ("Exp", [:], { Float(Foundation.exp(Double($0))) }),
            ("Neg", [:], { -$0 }),
            ("Abs", [:], { abs($0) }),
            ("Clip", ["min": .float(-1), "max": .float(1)], { min(max($0, -1), 1) }),
        ]
        for (op, attrs, f) in cases {
            let y = try evaluate(op, [x], attributes: attrs, opset: 6)[0]
            for (got, v) in zip(y.floats, x.floats) {
                XCTAssertEqual(got, f(v), accuracy: 1e-6, "\(op)(\(v))")
            }
        }
        let selu = try evaluate("Selu", [x])[0].floats
        XCTAssertEqual(selu[0], 1.0507009 * (1.6732632 * Float(Foundation.exp(-2.0)) - 1.6732632), accuracy: 1e-5)
        XCTAssertEqual(selu[4], 1.0507009 * 3, accuracy: 1e-5)
    }

    func testClipTakesConstantInputsFromOpset11() throws {
        let x = Tensor([-3, 0, 3], shape: [3])
        let y = try evaluate("Clip", [x, Tensor([-1], shape: []), Tensor([2], shape: [])], opset: 11)[0]
        XCTAssertEqual(y.floats, [-1, 0, 2])
        let maxOnly = try evaluate("Clip", [x, nil, Tensor([1], shape: [])], opset: 13)[0]
        XCTAssertEqual(maxOnly.floats, [-3, 0, 1])
    }

    func testBinaryBroadcastingAgainstLoops() throws {
        var rng = TestRandom(seed: 1)
        let shapes: [([Int], [Int])] = [([2, 3, 4], [4]), ([2, 3, 4], [3, 1]), ([2, 1, 4], [1, 3, 1]), ([5], []), ([1], [2, 2]), ([2, 3, 4, 5], [2, 1, 4, 1])]
        for (sa, sb) in shapes {
            let a = rng.tensor(sa), b = rng.tensor(sb)
            let out = Shape.broadcast(sa, sb)!
            for (op, f) in [("Add", { (x: Float, y: Float) in x + y }), ("Sub", { $0 - $1 }), ("Mul", { $0 * $1 }), ("Div", { $0 / $1 }), ("Max", { max($0, $1) })] {
                let y = try evaluate(op, [a, b])[0]
                XCTAssertEqual(y.shape, out)
                // Reference: index arithmetic per output element.
                let strides = Shape.strides(out)
                for i in 0..<y.count {
                    var ia = 0, ib = 0
                    for (d, s) in strides.enumerated() {
                        let idx = (i / s) % out[d]
                        let da = d - (out.count - sa.count), db = d - (out.count - sb.count)
                        if da >= 0 && sa[da] != 1 { ia = ia * sa[da] + idx } else if da >= 0 { ia = ia * sa[da] }
                        if db >= 0 && sb[db] != 1 { ib = ib * sb[db] + idx } else if db >= 0 { ib = ib * sb[db] }
                    }
                    XCTAssertEqual(y.floats[i], f(a.floats[ia], b.floats[ib]), accuracy: 1e-6, "\(op) \(sa) \(sb) at \(i)")
                }
            }
        }
    }

    func testIncompatibleShapesNameTheNode() {
        assertThrows("do not broadcast") { _ = try evaluate("Add", [Tensor(zeros: TensorType(.float32, [2, 3])), Tensor(zeros: TensorType(.float32, [4]))]) }
    }

    func testLegacyAxisBroadcastBeforeOpset7() throws {
        let a = Tensor((0..<6).map(Float.init), shape: [2, 3])
        let b = Tensor([10, 20], shape: [2])
        let y = try evaluate("Add", [a, b], attributes: ["broadcast": .int(1), "axis": .int(0)], opset: 6)[0]
        XCTAssertEqual(y.floats, [10, 11, 12, 23, 24, 25])
    }

    func testIntegerArithmeticAndDivisionByZero() throws {
        let a = Tensor(int64: [7, -7, 5], shape: [3]), b = Tensor(int64: [2, 2, 0], shape: [3])
        XCTAssertEqual(try evaluate("Div", [a, b])[0].asInts(), [3, -3, 0])
        XCTAssertEqual(try evaluate("Mul", [a, b])[0].asInts(), [14, -14, 0])
    }

    func testComparisonsGiveBoolAndCastBack() throws {
        let a = Tensor([1, 2, 3], shape: [3]), b = Tensor([2], shape: [1])
        let gt = try evaluate("Greater", [a, b])[0]
        XCTAssertEqual(gt.dtype, .bool)
        XCTAssertEqual(gt.asInts(), [0, 0, 1])
        XCTAssertEqual(try evaluate("LessOrEqual", [a, b])[0].asInts(), [1, 1, 0])
        XCTAssertEqual(try evaluate("Equal", [Tensor(int64: [4, 5], shape: [2]), Tensor(int64: [5], shape: [1])])[0].asInts(), [0, 1])
        XCTAssertEqual(try evaluate("Cast", [gt], attributes: ["to": .int(1)])[0].floats, [0, 0, 1])
    }

    func testVariadicSumMaxMin() throws {
        let a = Tensor([1, 5], shape: [2]), b = Tensor([3], shape: [1]), c = Tensor([2, 2, 9, 0], shape: [2, 2])
        XCTAssertEqual(try evaluate("Sum", [a, b, c])[0].floats, [6, 10, 13, 8])
        XCTAssertEqual(try evaluate("Max", [a, b, c])[0].floats, [3, 5, 9, 5])
        XCTAssertEqual(try evaluate("Min", [a])[0].floats, [1, 5])
    }

    func testPReluPerChannelSlope() throws {
        // Rank-1 slope of length C on an N x C x W input: per channel (C differs from W here).
        let x = Tensor([-1, 2, -3, 4, -4, -8], shape: [1, 2, 3])
        let slope = Tensor([0.5, 0.25], shape: [2])
        XCTAssertEqual(try evaluate("PRelu", [x, slope], opset: 6)[0].floats, [-0.5, 2, -1.5, 4, -1, -2])
    }

    func testCastSaturatesAndTruncates() throws {
        let x = Tensor([1.9, -1.9, 300, .nan], shape: [4])
        XCTAssertEqual(try evaluate("Cast", [x], attributes: ["to": .int(7)])[0].asInts(), [1, -1, 300, 0])
        XCTAssertEqual(try evaluate("Cast", [x], attributes: ["to": .int(3)])[0].asInts(), [1, -1, 127, 0])
        assertThrows("float64") { _ = try evaluate("Cast", [x], attributes: ["to": .int(11)]) }
    }
}
