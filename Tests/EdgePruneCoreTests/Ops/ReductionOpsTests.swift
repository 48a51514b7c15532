import XCTest
@testable import EdgePruneCore

/// Softmax, LogSoftmax, ReduceMean/Sum/Max, ArgMax against nested-loop references (in Double).
final class ReductionOpsTests: XCTestCase {
    typealias K = LRKit

    // MARK: Softmax

    /// Softmax over the index groups that differ only in `axes` (a set of contiguous axes).
    func referenceSoftmax(_ x: Tensor, axes: Set<Int>, log: Bool) -> [Float] {
        let shape = x.shape, v = x.floats
        // Group key: the multi-index with the softmax axes zeroed.
        var groups: [[Int]: [Int]] = [:]
        for f in 0..<v.count {
            var i = K.unravel(f, shape)
            for a in axes { i[a] = 0 }
            groups[i, default: []].append(f)
        }
        var out = [Float](repeating: 0, count: v.count)
        for members in groups.values {
            let m = members.map { Double(v[$0]) }.max()!
            let sum = members.map { exp(Double(v[$0]) - m) }.reduce(0, +)
            for f in members {
                let e = Double(v[f]) - m
                out[f] = Float(log ? e - Foundation.log(sum) : exp(e) / sum)
            }
        }
        return out
    }

    func testSoftmaxOpset13PerAxis() throws {
        let x = K.iota([2, 3, 4], scrambled: true)
        for op in ["Softmax", "LogSoftmax"] {
            for axis in [0, 1, 2, -1] {
                let y = try K.run1(op, opset: 13, [x], ["axis": .int(axis)])
                let a = (axis + 3) % 3
                K.assertClose(y.floats, referenceSoftmax(x, axes: [a], log: op == "LogSoftmax"))
            }
            // Default axis is -1.
            K.assertClose(try K.run1(op, opset: 13, [x]).floats, referenceSoftmax(x, axes: [2], log: op == "LogSoftmax"))
        }
    }

    func testSoftmaxOldOpsetsCoerceTo2D() throws {
        let x = K.iota([2, 3, 4], scrambled: true)
        for op in ["Softmax", "LogSoftmax"] {
            // Default axis 1: each of the 2 rows of 12 is normalised together.
            K.assertClose(try K.run1(op, opset: 11, [x]).floats, referenceSoftmax(x, axes: [1, 2], log: op == "LogSoftmax"))
            K.assertClose(try K.run1(op, opset: 11, [x], ["axis": .int(2)]).floats,
                          referenceSoftmax(x, axes: [2], log: op == "LogSoftmax"))
            K.assertClose(try K.run1(op, opset: 9, [x], ["axis": .int(0)]).floats,
                          referenceSoftmax(x, axes: [0, 1, 2], log: op == "LogSoftmax"))
        }
    }

    func testSoftmaxIsStableForLargeInputs() throws {
        let x = K.f32([1000, 1001, 1002, -1000], [1, 4])
        let y = try K.run1("Softmax", opset: 13, [x])
        XCTAssertTrue(y.floats.allSatisfy { $0.isFinite })
        K.assertClose(y.floats, referenceSoftmax(x, axes: [1], log: false))
        let l = try K.run1("LogSoftmax", opset: 13, [x])
        K.assertClose(l.floats, referenceSoftmax(x, axes: [1], log: true), tol: 1e-4)
    }

    func testSoftmaxErrors() {
        K.assertError(.shape, "out of range") { try K.run1("Softmax", opset: 13, [K.iota([2, 3])], ["axis": .int(2)]) }
        K.assertError(.unsupported) { try K.run1("Softmax", opset: 13, [K.i64([1, 2])]) }
    }

    // MARK: Reduce*

    func referenceReduce(_ x: Tensor, axes: [Int], keepDims: Bool, op: String) -> ([Double], [Int]) {
        let shape = x.shape
        let reduceAll = axes.isEmpty
        let set = Set(axes.map { ($0 + shape.count) % shape.count })
        let isReduced = { (d: Int) in reduceAll || set.contains(d) }
        var outShape: [Int] = []
        for d in 0..<shape.count {
            if isReduced(d) { if keepDims { outShape.append(1) } } else { outShape.append(shape[d]) }
        }
        var acc: [[Int]: [Double]] = [:]
        let values: [Double] = x.dtype == .float32 ? x.floats.map(Double.init) : K.int64s(x).map(Double.init)
        for f in 0..<x.count {
            let i = K.unravel(f, shape)
            let key = (0..<shape.count).filter { !isReduced($0) }.map { i[$0] }
            acc[key, default: []].append(values[f])
        }
        let keptShape = (0..<shape.count).filter { !isReduced($0) }.map { shape[$0] }
        let n = keptShape.reduce(1, *)
        let out = (0..<n).map { f -> Double in
            let vs = acc[K.unravel(f, keptShape)]!
            switch op {
            case "ReduceSum": return vs.reduce(0, +)
            case "ReduceMean": return vs.reduce(0, +) / Double(vs.count)
            default: return vs.max()!
            }
        }
        return (out, outShape)
    }

    func testReduceAxesAndKeepDims() throws {
        let x = K.iota([2, 3, 4], scrambled: true)
        let axesCases: [[Int]] = [[1], [0, 2], [-1], [2, 0, 1], [0], []]
        for op in ["ReduceSum", "ReduceMean", "ReduceMax"] {
            for axes in axesCases {
                for keep in [0, 1] {
                    var attrs: [String: Attribute] = ["keepdims": .int(keep)]
                    if !axes.isEmpty { attrs["axes"] = .ints(axes) }
                    let y = try K.run1(op, opset: 11, [x], attrs)
                    let (expect, shape) = referenceReduce(x, axes: axes, keepDims: keep == 1, op: op)
                    XCTAssertEqual(y.shape, shape, "\(op) \(axes) keep=\(keep)")
                    K.assertClose(y.floats, expect.map { Float($0) }, tol: 1e-5)
                }
            }
        }
    }

    func testReduceAxesAsInput() throws {
        let x = K.iota([2, 3, 4], scrambled: true)
        // ReduceSum takes axes as an input from opset 13, ReduceMean/ReduceMax from 18.
        for (op, opset) in [("ReduceSum", 13), ("ReduceMean", 18), ("ReduceMax", 18)] {
            let y = try K.run1(op, opset: opset, [x, K.i64([0, -1])], ["keepdims": .int(0)])
            let (expect, shape) = referenceReduce(x, axes: [0, 2], keepDims: false, op: op)
            XCTAssertEqual(y.shape, shape)
            K.assertClose(y.floats, expect.map { Float($0) })
            // No axes: all; with noop_with_empty_axes: identity.
            XCTAssertEqual(try K.run1(op, opset: opset, [x]).shape, [1, 1, 1])
            let noop = try K.run1(op, opset: opset, [x, K.i64([], [0])], ["noop_with_empty_axes": .int(1)])
            XCTAssertEqual(noop.shape, x.shape)
            XCTAssertEqual(noop.floats, x.floats)
        }
        K.assertError(.unsupported, "constant") {
            try K.prepare("ReduceSum", opset: 13, types: [x.type, TensorType(.int64, [1])], constants: [nil, nil])
        }
        K.assertError(.shape, "out of range") { try K.run1("ReduceMean", opset: 18, [x, K.i64([3])]) }
        K.assertError(.shape, "out of range") { try K.run1("ReduceMax", opset: 11, [x], ["axes": .ints([-4])]) }
    }

    func testReduceIntegerAndSizeOneDims() throws {
        let x = K.i64([5, -2, 7, 1, 9, -4], [2, 1, 3])
        let s = try K.run1("ReduceSum", opset: 13, [x, K.i64([2])])
        XCTAssertEqual(s.shape, [2, 1, 1])
        XCTAssertEqual(K.int64s(s), [10, 6])
        let m = try K.run1("ReduceMax", opset: 13, [x], ["axes": .ints([0]), "keepdims": .int(0)])
        XCTAssertEqual(K.int64s(m), [5, 9, 7])
        K.assertError(.unsupported) { try K.run1("ReduceMean", opset: 13, [x]) }
    }

    // MARK: ArgMax

    func testArgMax() throws {
        let x = K.f32([1, 5, 5, 2,
                       7, 0, 7, 7,
                       -1, -3, -2, -1], [3, 4])
        let a1 = try K.run1("ArgMax", opset: 13, [x], ["axis": .int(1)])
        XCTAssertEqual(a1.type, TensorType(.int64, [3, 1]))
        XCTAssertEqual(K.int64s(a1), [1, 0, 0])
        let last = try K.run1("ArgMax", opset: 13, [x], ["axis": .int(-1), "keepdims": .int(0), "select_last_index": .int(1)])
        XCTAssertEqual(last.shape, [3])
        XCTAssertEqual(K.int64s(last), [2, 3, 3])
        let a0 = try K.run1("ArgMax", opset: 13, [x], ["keepdims": .int(0)])
        XCTAssertEqual(K.int64s(a0), [1, 0, 1, 1])
        K.assertError(.shape, "out of range") { try K.run1("ArgMax", opset: 13, [x], ["axis": .int(2)]) }
    }
}
