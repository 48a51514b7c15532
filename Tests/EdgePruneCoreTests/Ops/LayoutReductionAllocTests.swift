import XCTest
import CTestSupport
@testable import EdgePruneCore

/// Every layout / reduction kernel must run without heap allocation (after one warm-up run, which
/// may instantiate runtime metadata).
final class LayoutReductionAllocTests: XCTestCase {
    typealias K = LRKit

    func assertNoAllocation(_ op: String, opset: Int = 17, _ inputs: [Tensor], runtime: Set<Int> = [],
                            outputs: Int = 1, _ attrs: [String: Attribute] = [:],
                            file: StaticString = #filePath, line: UInt = #line) throws {
        try skipUnlessAllocationsCanBeCounted()
        let p = try K.prepare(op, opset: opset, types: inputs.map(\.type),
                              constants: inputs.indices.map { runtime.contains($0) ? nil : inputs[$0] },
                              outputs: outputs, attrs)
        guard case .kernel(let kernel) = p.form else { return XCTFail("\(op) has no kernel", file: file, line: line) }
        let outs = p.outputs.map { Tensor(zeros: $0) }
        let scratch = Buffer(byteCount: p.scratchBytes)
        let ins = inputs.map { UnsafeRawPointer($0.raw) }
        let os = outs.map(\.raw)
        var count = 0
        // Keep the tensors alive while only their raw pointers are in use.
        withExtendedLifetime((inputs, outs, scratch)) {
            ins.withUnsafeBufferPointer { ip in
                os.withUnsafeBufferPointer { op in
                    kernel.run(inputs: ip.baseAddress!, outputs: op.baseAddress!, scratch: scratch.raw)
                    ep_alloc_counter_start()
                    kernel.run(inputs: ip.baseAddress!, outputs: op.baseAddress!, scratch: scratch.raw)
                    count = ep_alloc_counter_stop()
                }
            }
        }
        XCTAssertEqual(count, 0, "\(op) allocated during run", file: file, line: line)
    }

    func testLayoutKernelsDoNotAllocate() throws {
        let x = K.iota([2, 3, 4, 5], scrambled: true)
        try assertNoAllocation("Transpose", [x], ["perm": .ints([0, 2, 3, 1])])
        try assertNoAllocation("Transpose", [K.pattern(.int8, [3, 4])])
        try assertNoAllocation("Concat", [x, x], ["axis": .int(1)])
        try assertNoAllocation("Split", opset: 13, [x], outputs: 2, ["axis": .int(2)])
        try assertNoAllocation("Slice", opset: 13, [x, K.i64([3, -1]), K.i64([0, Int(Int64.min)]), K.i64([1, 3]), K.i64([-1, -2])])
        try assertNoAllocation("Gather", [x, K.i64([2, 0, -1])], ["axis": .int(1)])
        try assertNoAllocation("Gather", [x, K.i64([2, 0, 9])], runtime: [1], ["axis": .int(1)])
        try assertNoAllocation("Gather", [x, K.typed(.int32, [1, -1], [2])], runtime: [1])
        for mode in ["constant", "reflect", "edge"] {
            try assertNoAllocation("Pad", opset: 13, [x, K.i64([0, 1, 2, -1, 0, 1, 1, 2])], ["mode": .string(mode)])
        }
        try assertNoAllocation("Tile", [x, K.i64([1, 2, 1, 2])])
        try assertNoAllocation("Expand", [K.iota([3, 1]), K.i64([2, 3, 4])])
    }

    func testReductionKernelsDoNotAllocate() throws {
        let x = K.iota([2, 3, 6, 5], scrambled: true)
        for op in ["Softmax", "LogSoftmax"] {
            try assertNoAllocation(op, opset: 13, [x], ["axis": .int(1)])
            try assertNoAllocation(op, opset: 13, [x])
            try assertNoAllocation(op, opset: 11, [x])
        }
        for op in ["ReduceSum", "ReduceMean", "ReduceMax"] {
            try assertNoAllocation(op, opset: 11, [x], ["axes": .ints([1, 3])])
            try assertNoAllocation(op, opset: 11, [x])
        }
        try assertNoAllocation("ReduceSum", opset: 13, [K.i64([1, 2, 3, 4], [2, 2]), K.i64([0])])
        try assertNoAllocation("ArgMax", opset: 13, [x], ["axis": .int(2), "select_last_index": .int(1)])
        try assertNoAllocation("MaxPool", opset: 12, [x], ["kernel_shape": .ints([3, 2]), "pads": .ints([1, 1, 1, 1]), "ceil_mode": .int(1)])
        try assertNoAllocation("AveragePool", opset: 19, [x], ["kernel_shape": .ints([2, 2]), "dilations": .ints([2, 1]),
                                                                "count_include_pad": .int(1), "auto_pad": .string("SAME_UPPER")])
        try assertNoAllocation("GlobalAveragePool", [x])
        try assertNoAllocation("GlobalMaxPool", [x])
    }
}
