import XCTest
@testable import EdgePruneCore

/// View ops (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout) and plan-time constants
/// (Shape, Size, Constant, ConstantOfShape).
final class LayoutOpsTests: XCTestCase {
    typealias K = LRKit

    // MARK: Reshape

    func testReshapeCopiesZeroAndInfersMinusOne() throws {
        let x = K.iota([2, 3, 4])
        let p = try K.prepare("Reshape", opset: 13, types: [x.type, TensorType(.int64, [2])],
                              constants: [nil, K.i64([0, -1])])
        guard case .view(input: 0) = p.form else { return XCTFail("Reshape must be a view") }
        XCTAssertEqual(p.outputs, [TensorType(.float32, [2, 12])])

        let y = try K.run1("Reshape", opset: 14, [x, K.i64([4, 0, -1])])
        XCTAssertEqual(y.shape, [4, 3, 2])
        XCTAssertEqual(y.floats, x.floats)
    }

    func testReshapeAllowZeroKeepsZeroDims() throws {
        let x = Tensor(zeros: TensorType(.float32, [0, 3]))
        let y = try K.run1("Reshape", opset: 14, [x, K.i64([3, 0])], ["allowzero": .int(1)])
        XCTAssertEqual(y.shape, [3, 0])
        K.assertError(.invalidModel) { try K.run1("Reshape", opset: 14, [x, K.i64([0, -1])], ["allowzero": .int(1)]) }
    }

    func testReshapeOpset1UsesAttribute() throws {
        let y = try K.run1("Reshape", opset: 4, [K.iota([6])], ["shape": .ints([3, -1])])
        XCTAssertEqual(y.shape, [3, 2])
    }

    func testReshapeErrors() {
        let x = K.iota([2, 3])
        K.assertError(.invalidModel, "more than one -1") { try K.run1("Reshape", [x, K.i64([-1, -1])]) }
        K.assertError(.shape) { try K.run1("Reshape", [x, K.i64([4, 2])]) }
        K.assertError(.shape) { try K.run1("Reshape", [x, K.i64([4, -1])]) }
        K.assertError(.unsupported, "constant") {
            try K.prepare("Reshape", types: [x.type, TensorType(.int64, [2])], constants: [nil, nil])
        }
    }

    // MARK: Flatten

    func testFlattenAxes() throws {
        let x = K.iota([2, 3, 4, 5])
        for (axis, shape) in [(2, [6, 20]), (-1, [24, 5]), (0, [1, 120]), (4, [120, 1]), (1, [2, 60])] {
            let y = try K.run1("Flatten", [x], ["axis": .int(axis)])
            XCTAssertEqual(y.shape, shape, "axis \(axis)")
            XCTAssertEqual(y.floats, x.floats)
        }
        XCTAssertEqual(try K.run1("Flatten", [x]).shape, [2, 60])
        K.assertError(.shape) { try K.run1("Flatten", [x], ["axis": .int(5)]) }
    }

    // MARK: Squeeze / Unsqueeze

    func testSqueezeForms() throws {
        let x = K.iota([1, 3, 1, 2])
        XCTAssertEqual(try K.run1("Squeeze", opset: 13, [x]).shape, [3, 2])
        XCTAssertEqual(try K.run1("Squeeze", opset: 11, [x], ["axes": .ints([0])]).shape, [3, 1, 2])
        XCTAssertEqual(try K.run1("Squeeze", opset: 13, [x, K.i64([-2])]).shape, [1, 3, 2])
        XCTAssertEqual(try K.run1("Squeeze", opset: 13, [x, K.i64([], [0])]).shape, [3, 2])
        K.assertError(.shape) { try K.run1("Squeeze", opset: 13, [x, K.i64([1])]) }
        K.assertError(.shape, "out of range") { try K.run1("Squeeze", opset: 13, [x, K.i64([4])]) }
    }

    func testUnsqueezeForms() throws {
        let x = K.iota([3, 2])
        XCTAssertEqual(try K.run1("Unsqueeze", opset: 11, [x], ["axes": .ints([0, 3])]).shape, [1, 3, 2, 1])
        let y = try K.run1("Unsqueeze", opset: 13, [x, K.i64([-1, 1])])
        XCTAssertEqual(y.shape, [3, 1, 2, 1])
        XCTAssertEqual(y.floats, x.floats)
        K.assertError(.invalidModel, "repeated") { try K.run1("Unsqueeze", opset: 13, [x, K.i64([0, 0])]) }
        K.assertError(.shape) { try K.run1("Unsqueeze", opset: 13, [x, K.i64([4])]) }
        K.assertError(.invalidModel) { try K.run1("Unsqueeze", opset: 13, [x]) }
    }

    // MARK: Identity / Dropout

    func testIdentityAndDropoutAreViews() throws {
        let x = K.pattern(.int8, [2, 2])
        for op in ["Identity", "Dropout"] {
            let p = try K.prepare(op, types: [x.type], constants: [nil])
            guard case .view(input: 0) = p.form else { return XCTFail("\(op) must be a view") }
            XCTAssertEqual(p.outputs, [x.type])
        }
        // An empty mask output name means it is not requested.
        let n = Node(name: "d", opType: "Dropout", inputs: ["x"], outputs: ["y", ""])
        XCTAssertEqual(try OpEvaluator.evaluate(n, opset: 13, inputs: [x])[0].type, x.type)
    }

    func testDropoutMaskUnsupported() {
        let x = K.iota([2])
        K.assertError(.unsupported, "mask") { try K.run("Dropout", opset: 13, [x], outputs: 2) }
    }

    // MARK: Shape / Size

    func testShapeAndSize() throws {
        let x = K.iota([2, 3, 4])
        let s = try K.run1("Shape", opset: 13, [x])
        XCTAssertEqual(s.dtype, .int64)
        XCTAssertEqual(K.int64s(s), [2, 3, 4])
        XCTAssertEqual(K.int64s(try K.run1("Shape", opset: 15, [x], ["start": .int(1), "end": .int(-1)])), [3])
        XCTAssertEqual(K.int64s(try K.run1("Shape", opset: 15, [x], ["start": .int(-10)])), [2, 3, 4])
        XCTAssertEqual(try K.run1("Shape", opset: 15, [x], ["start": .int(2), "end": .int(1)]).shape, [0])
        // Shape of a scalar: empty 1-D tensor.
        XCTAssertEqual(try K.run1("Shape", [Tensor([5], shape: [])]).shape, [0])
        // Shape needs only the type, not the value.
        let p = try K.prepare("Shape", types: [x.type], constants: [nil])
        guard case .constants(let c) = p.form else { return XCTFail("Shape must fold to a constant") }
        XCTAssertEqual(K.int64s(c[0]), [2, 3, 4])

        let size = try K.run1("Size", [x])
        XCTAssertEqual(size.shape, [])
        XCTAssertEqual(K.int64s(size), [24])
    }

    // MARK: Constant / ConstantOfShape

    func testConstantForms() throws {
        let v = K.pattern(.int32, [2, 2])
        let a = try K.run1("Constant", [], ["value": .tensor(v)])
        XCTAssertEqual(a.type, v.type)
        XCTAssertEqual(K.allBits(a), K.allBits(v))

        let f = try K.run1("Constant", [], ["value_float": .float(2.5)])
        XCTAssertEqual(f.shape, [])
        XCTAssertEqual(f.floats, [2.5])
        let fs = try K.run1("Constant", [], ["value_floats": .floats([1, 2, 3])])
        XCTAssertEqual(fs.shape, [3])
        XCTAssertEqual(fs.floats, [1, 2, 3])
        let i = try K.run1("Constant", [], ["value_int": .int(-7)])
        XCTAssertEqual(i.type, TensorType(.int64, []))
        XCTAssertEqual(K.int64s(i), [-7])
        let iz = try K.run1("Constant", [], ["value_ints": .ints([4, 5])])
        XCTAssertEqual(K.int64s(iz), [4, 5])

        K.assertError(.invalidModel) { try K.run1("Constant", [], [:]) }
        K.assertError(.unsupported) { try K.run1("Constant", [], ["value_string": .string("s")]) }
    }

    func testConstantOfShape() throws {
        let z = try K.run1("ConstantOfShape", [K.i64([2, 3])])
        XCTAssertEqual(z.type, TensorType(.float32, [2, 3]))
        XCTAssertEqual(z.floats, [Float](repeating: 0, count: 6))

        let seven = try K.run1("ConstantOfShape", [K.i64([3])], ["value": .tensor(K.i64([7], [1]))])
        XCTAssertEqual(seven.type, TensorType(.int64, [3]))
        XCTAssertEqual(K.int64s(seven), [7, 7, 7])

        let half = try K.run1("ConstantOfShape", [K.i64([2, 2])], ["value": .tensor(K.f32([0.5], [1]))])
        XCTAssertEqual(half.floats, [0.5, 0.5, 0.5, 0.5])

        let u8 = try K.run1("ConstantOfShape", [K.i64([2])], ["value": .tensor(K.typed(.uint8, [200], [1]))])
        XCTAssertEqual(K.allBits(u8), [200, 200])

        let scalar = try K.run1("ConstantOfShape", [K.i64([], [0])], ["value": .tensor(K.f32([3], [1]))])
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(scalar.floats, [3])

        K.assertError(.unsupported, "constant") {
            try K.prepare("ConstantOfShape", types: [TensorType(.int64, [2])], constants: [nil])
        }
        K.assertError(.shape) { try K.run1("ConstantOfShape", [K.i64([2, -1])]) }
    }
}
