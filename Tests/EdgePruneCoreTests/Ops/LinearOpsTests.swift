import XCTest
@testable import EdgePruneCore

final class LinearOpsTests: XCTestCase {
    func naiveMatMul(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Float] {
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for p in 0..<k { y[i * n + j] += a[i * k + p] * b[p * n + j] } } }
        return y
    }

    func transpose(_ v: [Float], rows: Int, cols: Int) -> [Float] {
        (0..<(rows * cols)).map { i in v[(i % rows) * cols + i / rows] }
    }

    func testGemmAllAttributeCombinations() throws {
        var rng = TestRandom(seed: 7)
        for (m, k, n) in [(1, 64, 10), (3, 5, 7), (13, 17, 33), (1, 1, 1), (6, 16, 16)] {
            for transA in [0, 1] { for transB in [0, 1] {
                for cShape in [[], [n], [1, n], [m, 1], [m, n]] {
                    for constB in [true, false] {
                        let a = rng.tensor(transA == 1 ? [k, m] : [m, k])
                        let b = rng.tensor(transB == 1 ? [n, k] : [k, n])
                        let c = cShape.isEmpty ? nil : rng.tensor(cShape)
                        let alpha: Float = 0.5, beta: Float = 2
                        let node = Node(name: "g", opType: "Gemm", inputs: ["a", "b"] + (c == nil ? [] : ["c"]), outputs: ["y"],
                                        attributes: ["transA": .int(transA), "transB": .int(transB), "alpha": .float(alpha), "beta": .float(beta)])
                        // Constant B is packed at prepare; run-time B is packed at run.
                        let ctx = OpContext(node: node, opset: 13, inputTypes: [a.type, b.type] + (c.map { [$0.type] } ?? []),
                                            constants: [nil, constB ? b : nil] + (c.map { [$0] } ?? []))
                        let prepared = try OpRegistry.preparer(for: node)(ctx)
                        let y = try runPrepared(prepared, inputs: [a, b] + (c.map { [$0] } ?? []))
                        let av = transA == 1 ? transpose(a.floats, rows: k, cols: m) : a.floats
                        let bv = transB == 1 ? transpose(b.floats, rows: n, cols: k) : b.floats
                        var want = naiveMatMul(av, bv, m: m, k: k, n: n).map { $0 * alpha }
                        if let c {
                            let cv = c.floats
                            for i in 0..<m { for j in 0..<n {
                                let ci = cShape == [n] || cShape == [1, n] ? j : (cShape == [m, 1] ? i : i * n + j)
                                want[i * n + j] += beta * cv[ci]
                            } }
                        }
                        let err = zip(y.floats, want).map { abs($0 - $1) }.max() ?? 0
                        XCTAssertLessThan(err, 1e-4, "m\(m) k\(k) n\(n) tA\(transA) tB\(transB) C\(cShape) constB \(constB)")
                    }
                }
            } }
        }
    }

    func testMatMulBatchedAndBroadcast() throws {
        var rng = TestRandom(seed: 3)
        let cases: [([Int], [Int])] = [([2, 3, 4], [4, 5]), ([2, 3, 4], [2, 4, 5]), ([1, 3, 4], [2, 4, 5]), ([4], [4, 5]), ([3, 4], [4]), ([2, 1, 3, 4], [3, 4, 2])]
        for (sa, sb) in cases {
            let a = rng.tensor(sa), b = rng.tensor(sb)
            let y = try evaluate("MatMul", [a, b])[0]
            let m = sa.count == 1 ? 1 : sa[sa.count - 2], k = sa.last!, n = sb.count == 1 ? 1 : sb.last!
            let aBatch = sa.count > 2 ? Array(sa.dropLast(2)) : [], bBatch = sb.count > 2 ? Array(sb.dropLast(2)) : []
            let batch = Shape.broadcast(aBatch, bBatch)!
            let count = batch.reduce(1, *)
            var want: [Float] = []
            for bi in 0..<count {
                // Broadcast batch index into each operand.
                func offset(_ shape: [Int]) -> Int {
                    var idx = 0, rem = bi
                    var coords = [Int](repeating: 0, count: batch.count)
                    for d in stride(from: batch.count - 1, through: 0, by: -1) { coords[d] = rem % batch[d]; rem /= batch[d] }
                    let pad = batch.count - shape.count
                    for (d, s) in shape.enumerated() { idx = idx * s + (s == 1 ? 0 : coords[d + pad]) }
                    return idx
                }
                let av = Array(a.floats[(offset(aBatch) * m * k)..<((offset(aBatch) + 1) * m * k)])
                let bv = Array(b.floats[(offset(bBatch) * k * n)..<((offset(bBatch) + 1) * k * n)])
                want += naiveMatMul(av, bv, m: m, k: k, n: n)
            }
            XCTAssertEqual(y.count, want.count, "\(sa) x \(sb)")
            XCTAssertLessThan(zip(y.floats, want).map { abs($0 - $1) }.max() ?? 0, 1e-4, "\(sa) x \(sb)")
        }
    }

    func testMatMulRejectsAThirdInputThatIsNotABias() {
        let a = Tensor(zeros: TensorType(.float32, [2, 3])), b = Tensor(zeros: TensorType(.float32, [3, 4]))
        assertThrows("third is only valid") { _ = try evaluate("MatMul", [a, b, Tensor(int64: [1, 2, 3, 4], shape: [4])]) }
        assertThrows("third is only valid") { _ = try evaluate("MatMul", [a, b, Tensor(zeros: TensorType(.float32, [5]))]) }
        XCTAssertNoThrow(try evaluate("MatMul", [a, b, Tensor(zeros: TensorType(.float32, [4]))]))
    }

    func testInnerDimensionMismatchIsAShapeError() {
        assertThrows("inner dimensions differ") {
            _ = try evaluate("Gemm", [Tensor(zeros: TensorType(.float32, [2, 3])), Tensor(zeros: TensorType(.float32, [4, 5]))])
        }
        assertThrows("inner dimensions differ") {
            _ = try evaluate("MatMul", [Tensor(zeros: TensorType(.float32, [2, 3])), Tensor(zeros: TensorType(.float32, [4, 5]))])
        }
    }
}
