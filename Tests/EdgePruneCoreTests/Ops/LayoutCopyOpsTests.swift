import XCTest
@testable import EdgePruneCore

/// Data-movement ops: Transpose, Concat, Split, Slice, Gather, Pad, Tile, Expand. Expected values
/// come from nested-loop references over multi-indices.
final class LayoutCopyOpsTests: XCTestCase {
    typealias K = LRKit

    // MARK: Transpose

    /// out[i0..] = x[j] where j[perm[d]] = i[d].
    func referenceTranspose(_ x: Tensor, _ perm: [Int]) -> [UInt64] {
        let outShape = perm.map { x.shape[$0] }
        return (0..<x.count).map { f in
            let i = K.unravel(f, outShape)
            var j = [Int](repeating: 0, count: x.shape.count)
            for d in 0..<perm.count { j[perm[d]] = i[d] }
            return K.bits(x, K.flat(j, x.shape))
        }
    }

    func testTransposeAllDTypesAndPerms() throws {
        let perms3 = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        for dtype in DType.allCases {
            let x = K.pattern(dtype, [2, 3, 4])
            for perm in perms3 {
                let y = try K.run1("Transpose", [x], ["perm": .ints(perm)])
                XCTAssertEqual(y.shape, perm.map { x.shape[$0] })
                XCTAssertEqual(K.allBits(y), referenceTranspose(x, perm), "\(dtype) \(perm)")
            }
        }
        let x4 = K.pattern(.float32, [2, 3, 4, 5])
        for perm in [[0, 2, 3, 1], [0, 3, 1, 2], [3, 2, 1, 0], [1, 0, 3, 2]] {
            let y = try K.run1("Transpose", [x4], ["perm": .ints(perm)])
            XCTAssertEqual(K.allBits(y), referenceTranspose(x4, perm), "\(perm)")
        }
        // Sizes that are not multiples of the 16 x 16 transpose tile.
        for (shape, perm) in [([2, 37, 41], [0, 2, 1]), ([1, 20, 33, 3], [0, 3, 1, 2]), ([1, 3, 17, 19], [0, 2, 3, 1])] {
            for dtype in DType.allCases {
                let x = K.pattern(dtype, shape)
                XCTAssertEqual(K.allBits(try K.run1("Transpose", [x], ["perm": .ints(perm)])), referenceTranspose(x, perm),
                               "\(dtype) \(shape) \(perm)")
            }
        }
        // Default: reversed axes; size-1 dims are handled.
        let x5 = K.pattern(.int64, [1, 3, 1, 2])
        XCTAssertEqual(K.allBits(try K.run1("Transpose", [x5])), referenceTranspose(x5, [3, 2, 1, 0]))
    }

    func testTransposeBadPerm() {
        K.assertError(.invalidModel, "perm") { try K.run1("Transpose", [K.iota([2, 3])], ["perm": .ints([0, 0])]) }
        K.assertError(.invalidModel, "perm") { try K.run1("Transpose", [K.iota([2, 3])], ["perm": .ints([1, 0, 2])]) }
    }

    // MARK: Concat

    func testConcatMiddleAxis() throws {
        let a = K.iota([2, 1, 3]), b = K.typed(.float32, (100..<112).map { $0 }, [2, 2, 3])
        for axis in [1, -2] {
            let y = try K.run1("Concat", [a, b], ["axis": .int(axis)])
            XCTAssertEqual(y.shape, [2, 3, 3])
            var expect: [Float] = []
            for i in 0..<2 {
                for j in 0..<3 {
                    for k in 0..<3 {
                        expect.append(j < 1 ? a.floats[i * 3 + k] : b.floats[(i * 2 + (j - 1)) * 3 + k])
                    }
                }
            }
            XCTAssertEqual(y.floats, expect)
        }
    }

    func testConcatInt64AndEmptyInputs() throws {
        let a = K.i64([1, 2], [1, 2]), e = Tensor(zeros: TensorType(.int64, [0, 2])), b = K.i64([3, 4, 5, 6], [2, 2])
        let y = try K.run1("Concat", [a, e, b], ["axis": .int(0)])
        XCTAssertEqual(y.shape, [3, 2])
        XCTAssertEqual(K.int64s(y), [1, 2, 3, 4, 5, 6])
        let u = try K.run1("Concat", [K.typed(.uint8, [1, 2], [2, 1]), K.typed(.uint8, [3, 4], [2, 1])], ["axis": .int(1)])
        XCTAssertEqual(K.allBits(u), [1, 3, 2, 4])
    }

    func testConcatErrors() {
        let a = K.iota([2, 3]), b = K.iota([3, 3])
        K.assertError(.shape, "does not match") { try K.run1("Concat", [a, b], ["axis": .int(1)]) }
        K.assertError(.shape, "out of range") { try K.run1("Concat", [a, a], ["axis": .int(2)]) }
        K.assertError(.shape) { try K.run1("Concat", [a, K.i64([1, 2, 3, 4, 5, 6], [2, 3])], ["axis": .int(0)]) }
        K.assertError(.invalidModel, "axis") { try K.run1("Concat", opset: 13, [a, a]) }
    }

    // MARK: Split

    func testSplitEqualAndSizes() throws {
        let x = K.iota([6, 2])
        let eq = try K.run("Split", opset: 13, [x], outputs: 3)
        XCTAssertEqual(eq.map(\.shape), [[2, 2], [2, 2], [2, 2]])
        XCTAssertEqual(eq[2].floats, [8, 9, 10, 11])

        let a = try K.run("Split", opset: 11, [x], outputs: 3, ["split": .ints([1, 2, 3])])
        XCTAssertEqual(a.map(\.shape), [[1, 2], [2, 2], [3, 2]])
        XCTAssertEqual(a[1].floats, [2, 3, 4, 5])

        let b = try K.run("Split", opset: 13, [x, K.i64([1, 1])], outputs: 2, ["axis": .int(-1)])
        XCTAssertEqual(b[0].floats, [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(b[1].floats, [1, 3, 5, 7, 9, 11])
        XCTAssertEqual(try K.run("Split", opset: 13, [x, K.i64([], [0])], outputs: 2).map(\.shape), [[3, 2], [3, 2]])
    }

    func testSplitNumOutputsUneven() throws {
        let x = K.typed(.int8, Array(0..<7), [7])
        let parts = try K.run("Split", opset: 18, [x], outputs: 3, ["num_outputs": .int(3)])
        XCTAssertEqual(parts.map(\.shape), [[3], [3], [1]])
        XCTAssertEqual(K.allBits(parts[2]), [6])
        K.assertError(.shape, "evenly") { try K.run("Split", opset: 13, [x], outputs: 3) }
        K.assertError(.shape) { try K.run("Split", opset: 13, [x, K.i64([3, 3])], outputs: 2) }
    }

    // MARK: Slice

    func slice1D(_ starts: Int, _ ends: Int, _ step: Int? = nil) throws -> [Float] {
        var inputs: [Tensor?] = [K.iota([10]), K.i64([starts]), K.i64([ends])]
        if let s = step { inputs += [K.i64([0]), K.i64([s])] }
        return try K.run1("Slice", opset: 13, inputs).floats
    }

    func testSliceClampingAndSteps() throws {
        XCTAssertEqual(try slice1D(2, 8, 3), [2, 5])
        XCTAssertEqual(try slice1D(-1, Int(Int64.min), -1), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
        XCTAssertEqual(try slice1D(8, 2, -2), [8, 6, 4])
        XCTAssertEqual(try slice1D(0, Int(Int64.max)), Array(0..<10).map(Float.init))
        XCTAssertEqual(try slice1D(20, 30), [])
        XCTAssertEqual(try slice1D(-100, 3), [0, 1, 2])
        XCTAssertEqual(try slice1D(5, -100, -1), [5, 4, 3, 2, 1, 0])
        XCTAssertEqual(try slice1D(100, -100, -3), [9, 6, 3, 0])
        XCTAssertEqual(try slice1D(-3, -1), [7, 8])
        XCTAssertEqual(try slice1D(3, 3), [])
    }

    func testSlice2DWithAxesAllDTypes() throws {
        for dtype in DType.allCases {
            let x = K.pattern(dtype, [3, 4])
            // Rows 0..1 (end -1), columns 3, 1 (step -2).
            let y = try K.run1("Slice", opset: 13, [x, K.i64([3, 0]), K.i64([0, -1]), K.i64([1, 0]), K.i64([-2, 1])])
            XCTAssertEqual(y.shape, [2, 2])
            let expect = [(0, 3), (0, 1), (1, 3), (1, 1)].map { K.bits(x, $0.0 * 4 + $0.1) }
            XCTAssertEqual(K.allBits(y), expect, "\(dtype)")
        }
    }

    func testSliceOpset9Attributes() throws {
        let x = K.iota([3, 4])
        let y = try K.run1("Slice", opset: 9, [x], ["starts": .ints([1]), "ends": .ints([100]), "axes": .ints([1])])
        XCTAssertEqual(y.shape, [3, 3])
        XCTAssertEqual(y.floats, [1, 2, 3, 5, 6, 7, 9, 10, 11])
    }

    func testSliceErrors() {
        let x = K.iota([4])
        K.assertError(.invalidModel, "step") { try K.run1("Slice", opset: 13, [x, K.i64([0]), K.i64([4]), K.i64([0]), K.i64([0])]) }
        K.assertError(.shape, "out of range") { try K.run1("Slice", opset: 13, [x, K.i64([0]), K.i64([4]), K.i64([1])]) }
        K.assertError(.unsupported, "constant") {
            try K.prepare("Slice", opset: 13, types: [x.type, TensorType(.int64, [1]), TensorType(.int64, [1])],
                          constants: [nil, nil, K.i64([2])])
        }
    }

    /// Sentinel and hostile values must give errors or ONNX results, never an overflow trap.
    func testHostileValuesFailCleanly() throws {
        let big = Int(Int64.max), small = Int(Int64.min)
        XCTAssertEqual(try slice1D(0, 10, big), [0])
        XCTAssertEqual(try slice1D(-1, small, small), [9])
        XCTAssertEqual(try slice1D(small, big, big), [0])
        let x = K.iota([4])
        K.assertError(.limit) { try K.run("Split", opset: 11, [x], outputs: 2, ["split": .ints([big, big])]) }
        K.assertError(.limit) { try K.run1("Pad", opset: 13, [x, K.i64([small, big])]) }
        K.assertError(.limit) { try K.run1("Tile", [x, K.i64([big])]) }
        K.assertError(.shape) { try K.run1("Reshape", [x, K.i64([big, big])]) }
        K.assertError(.limit) { try K.run1("ConstantOfShape", [K.i64([1 << 62, 1 << 62])]) }
        K.assertError(.invalidModel) { try K.run1("MaxPool", opset: 12, [K.iota([1, 1, 4])], ["kernel_shape": .ints([big])]) }
        let hidden = TensorType(.float32, [0, 1 << 62, 1 << 62])
        K.assertError(.limit) { try K.prepare("Transpose", types: [hidden], constants: [nil]) }
        K.assertError(.limit) { try K.prepare("ReduceSum", opset: 11, types: [hidden], constants: [nil]) }
        // Empty outputs with huge other dims are fine.
        XCTAssertEqual(try K.run1("Tile", [Tensor(zeros: TensorType(.float32, [0, 2])), K.i64([1 << 40, 1 << 20])]).shape,
                       [0, 1 << 21])
    }

    // MARK: Gather

    func testGatherConstantIndices() throws {
        let x = K.iota([3, 4])
        let rows = try K.run1("Gather", [x, K.i64([2, -1, 0])])
        XCTAssertEqual(rows.shape, [3, 4])
        XCTAssertEqual(rows.floats, [8, 9, 10, 11, 8, 9, 10, 11, 0, 1, 2, 3])

        let idx = K.i64([3, 0, -3, 1], [2, 2])
        let cols = try K.run1("Gather", [x, idx], ["axis": .int(1)])
        XCTAssertEqual(cols.shape, [3, 2, 2])
        var expect: [Float] = []
        for i in 0..<3 { for k in [3, 0, 1, 1] { expect.append(Float(i * 4 + k)) } }
        XCTAssertEqual(cols.floats, expect)

        let scalar = try K.run1("Gather", [x, K.i64([1], [])])
        XCTAssertEqual(scalar.shape, [4])
        XCTAssertEqual(scalar.floats, [4, 5, 6, 7])

        K.assertError(.shape, "out of range") { try K.run1("Gather", [x, K.i64([3])]) }
        K.assertError(.shape, "out of range") { try K.run1("Gather", [x, K.i64([0])], ["axis": .int(2)]) }
    }

    func testGatherRuntimeIndicesWrapAndZeroFill() throws {
        let x = K.pattern(.int64, [4, 2])
        for dtype in [DType.int64, .int32] {
            let idx = K.typed(dtype, [1, -1, 7, -9, 0], [5])
            let p = try K.prepare("Gather", types: [x.type, idx.type], constants: [x, nil])
            let y = K.execute(p, [x, idx])[0]
            XCTAssertEqual(y.shape, [5, 2])
            let row = { (r: Int) in [K.bits(x, r * 2), K.bits(x, r * 2 + 1)] }
            XCTAssertEqual(K.allBits(y), row(1) + row(3) + [0, 0] + [0, 0] + row(0), "\(dtype)")
        }
    }

    // MARK: Pad

    /// Reference pad: output coordinate o maps to input o - before; out-of-range coordinates are
    /// folded back by mirroring (reflect), clamping (edge) or take the constant.
    func referencePad(_ x: [Float], _ shape: [Int], _ pads: [Int], mode: String, value: Float) -> ([Float], [Int]) {
        let r = shape.count
        let outShape = (0..<r).map { shape[$0] + pads[$0] + pads[$0 + r] }
        let n = outShape.reduce(1, *)
        var out: [Float] = []
        for f in 0..<n {
            let o = K.unravel(f, outShape)
            var src: [Int] = []
            var inside = true
            for d in 0..<r {
                var i = o[d] - pads[d]
                let len = shape[d]
                if i < 0 || i >= len {
                    switch mode {
                    case "edge": i = min(max(i, 0), len - 1)
                    case "reflect":
                        while i < 0 || i >= len {
                            if i < 0 { i = -i }
                            if i >= len { i = 2 * (len - 1) - i }
                        }
                    default: inside = false
                    }
                }
                src.append(i)
            }
            out.append(inside ? x[K.flat(src, shape)] : value)
        }
        return (out, outShape)
    }

    func testPadModes() throws {
        let x = K.iota([3, 4], scrambled: true)
        let cases: [[Int]] = [[1, 0, 0, 2], [2, 3, 2, 3], [0, -1, 1, 2], [-1, 1, -1, -2], [5, 7, 4, 6]]
        for mode in ["constant", "reflect", "edge"] {
            for pads in cases {
                let y = try K.run1("Pad", opset: 13, [x, K.i64(pads), K.f32([1.5], [])], ["mode": .string(mode)])
                let (expect, shape) = referencePad(x.floats, x.shape, pads, mode: mode, value: 1.5)
                XCTAssertEqual(y.shape, shape, "\(mode) \(pads)")
                XCTAssertEqual(y.floats, expect, "\(mode) \(pads)")
            }
        }
    }

    func testPadOldOpsetsAndAxes() throws {
        let x = K.iota([2, 3])
        let y2 = try K.run1("Pad", opset: 2, [x], ["pads": .ints([0, 1, 0, 1]), "value": .float(-1)])
        XCTAssertEqual(y2.floats, referencePad(x.floats, x.shape, [0, 1, 0, 1], mode: "constant", value: -1).0)
        let y1 = try K.run1("Pad", opset: 1, [x], ["paddings": .ints([1, 0, 0, 0]), "mode": .string("edge")])
        XCTAssertEqual(y1.floats, referencePad(x.floats, x.shape, [1, 0, 0, 0], mode: "edge", value: 0).0)
        // Opset 18 axes: pad only the last axis by (2, 1).
        let y18 = try K.run1("Pad", opset: 18, [x, K.i64([2, 1]), nil, K.i64([-1])], ["mode": .string("reflect")])
        XCTAssertEqual(y18.floats, referencePad(x.floats, x.shape, [0, 2, 0, 1], mode: "reflect", value: 0).0)
    }

    func testPadIntegerConstant() throws {
        let x = K.i64([1, 2, 3], [3])
        let y = try K.run1("Pad", opset: 13, [x, K.i64([1, 2]), K.i64([-5], [])])
        XCTAssertEqual(K.int64s(y), [-5, 1, 2, 3, -5, -5])
        let u = try K.run1("Pad", opset: 13, [K.typed(.uint8, [9], [1]), K.i64([2, 0])])
        XCTAssertEqual(K.allBits(u), [0, 0, 9])
    }

    func testPadErrors() {
        let x = K.iota([2, 3])
        K.assertError(.invalidModel, "pads") { try K.run1("Pad", opset: 13, [x, K.i64([1, 1])]) }
        K.assertError(.shape, "negative") { try K.run1("Pad", opset: 13, [x, K.i64([0, -4, 0, 0])]) }
        K.assertError(.unsupported, "constant") {
            try K.prepare("Pad", opset: 13, types: [x.type, TensorType(.int64, [4])], constants: [nil, nil])
        }
    }

    // MARK: Tile / Expand

    func testTile() throws {
        for dtype in [DType.float32, .int8, .int64] {
            let x = K.pattern(dtype, [2, 3])
            let y = try K.run1("Tile", [x, K.i64([2, 3])])
            XCTAssertEqual(y.shape, [4, 9])
            var expect: [UInt64] = []
            for i in 0..<4 { for j in 0..<9 { expect.append(K.bits(x, (i % 2) * 3 + j % 3)) } }
            XCTAssertEqual(K.allBits(y), expect, "\(dtype)")
        }
        XCTAssertEqual(try K.run1("Tile", [K.iota([2]), K.i64([0])]).shape, [0])
        K.assertError(.shape) { try K.run1("Tile", [K.iota([2]), K.i64([1, 2])]) }
    }

    func testExpand() throws {
        let x = K.iota([3, 1])
        let y = try K.run1("Expand", [x, K.i64([2, 1, 4])])
        XCTAssertEqual(y.shape, [2, 3, 4])
        var expect: [Float] = []
        for _ in 0..<2 { for b in 0..<3 { for _ in 0..<4 { expect.append(Float(b)) } } }
        XCTAssertEqual(y.floats, expect)
        // Bidirectional: a smaller target keeps the input's larger dims.
        XCTAssertEqual(try K.run1("Expand", [x, K.i64([1])]).shape, [3, 1])
        K.assertError(.shape) { try K.run1("Expand", [x, K.i64([2, 2])]) }
    }
}
