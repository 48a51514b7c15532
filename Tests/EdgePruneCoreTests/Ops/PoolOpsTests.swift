import XCTest
@testable import EdgePruneCore

/// MaxPool / AveragePool / Global*Pool against a brute-force reference that visits every
/// window position explicitly.
final class PoolOpsTests: XCTestCase {
    typealias K = LRKit

    struct Geo {
        var kernel: [Int], strides: [Int], dilations: [Int]
        var padsBegin: [Int], padsEnd: [Int]
        var out: [Int]
    }

    /// Brute force over N, C, output positions and every kernel tap. Max ignores padding; the
    /// average divides by the taps inside the input, or (count_include_pad) by the taps inside
    /// [-padBegin, in + padEnd).
    func referencePool(_ x: Tensor, _ g: Geo, max isMax: Bool, includePad: Bool = false) -> [Float] {
        let shape = x.shape, v = x.floats
        let spatial = Array(shape[2...])
        let n = spatial.count
        var out: [Float] = []
        for b in 0..<shape[0] {
            for c in 0..<shape[1] {
                for f in 0..<g.out.reduce(1, *) {
                    let o = K.unravel(f, g.out)
                    var best = -Float.greatestFiniteMagnitude
                    var sum: Double = 0, valid = 0, padded = 0
                    for t in 0..<g.kernel.reduce(1, *) {
                        let k = K.unravel(t, g.kernel)
                        let pos = (0..<n).map { o[$0] * g.strides[$0] - g.padsBegin[$0] + k[$0] * g.dilations[$0] }
                        let inside = (0..<n).allSatisfy { pos[$0] >= 0 && pos[$0] < spatial[$0] }
                        let inPad = (0..<n).allSatisfy { pos[$0] >= -g.padsBegin[$0] && pos[$0] < spatial[$0] + g.padsEnd[$0] }
                        if inPad { padded += 1 }
                        if inside {
                            let val = v[K.flat([b, c] + pos, shape)]
                            best = Swift.max(best, val)
                            sum += Double(val)
                            valid += 1
                        }
                    }
                    if isMax {
                        out.append(best)
                    } else {
                        let d = includePad ? padded : valid
                        out.append(d > 0 ? Float(sum / Double(d)) : 0)
                    }
                }
            }
        }
        return out
    }

    func attrs(_ g: Geo, extra: [String: Attribute] = [:]) -> [String: Attribute] {
        var a: [String: Attribute] = ["kernel_shape": .ints(g.kernel), "strides": .ints(g.strides),
                                      "pads": .ints(g.padsBegin + g.padsEnd)]
        if g.dilations.contains(where: { $0 != 1 }) { a["dilations"] = .ints(g.dilations) }
        return a.merging(extra) { _, b in b }
    }

    func testMaxAndAveragePool2D() throws {
        let x = K.iota([2, 3, 5, 6], scrambled: true)
        // H: (5 + 1 + 1 - 3) / 2 + 1 = 3; W: (6 + 0 + 1 - 2) / 1 + 1 = 6.
        let g = Geo(kernel: [3, 2], strides: [2, 1], dilations: [1, 1], padsBegin: [1, 0], padsEnd: [1, 1], out: [3, 6])
        let m = try K.run1("MaxPool", opset: 12, [x], attrs(g))
        XCTAssertEqual(m.shape, [2, 3, 3, 6])
        XCTAssertEqual(m.floats, referencePool(x, g, max: true))
        for include in [0, 1] {
            let a = try K.run1("AveragePool", opset: 11, [x], attrs(g, extra: ["count_include_pad": .int(include)]))
            XCTAssertEqual(a.shape, [2, 3, 3, 6])
            K.assertClose(a.floats, referencePool(x, g, max: false, includePad: include == 1))
        }
    }

    func testPool1DAndDilation() throws {
        let x = K.iota([1, 2, 7], scrambled: true)
        // Dilation 2, kernel 2: span 3 -> out (7 + 1 + 0 - 3) / 1 + 1 = 6.
        let g = Geo(kernel: [2], strides: [1], dilations: [2], padsBegin: [1], padsEnd: [0], out: [6])
        let m = try K.run1("MaxPool", opset: 12, [x], attrs(g))
        XCTAssertEqual(m.shape, [1, 2, 6])
        XCTAssertEqual(m.floats, referencePool(x, g, max: true))
        let a = try K.run1("AveragePool", opset: 19, [x], attrs(g, extra: ["count_include_pad": .int(1)]))
        K.assertClose(a.floats, referencePool(x, g, max: false, includePad: true))
    }

    func testCeilModeDropsWindowStartingInRightPad() throws {
        let x = K.f32([1, 2, 3, 4, 5], [1, 1, 5])
        // ceil((5 + 2 - 2) / 2) + 1 = 4, but the 4th window would start at 6 - 1 = 5 (right pad): 3.
        let m = try K.run1("MaxPool", opset: 12, [x], ["kernel_shape": .ints([2]), "strides": .ints([2]),
                                                     "pads": .ints([1, 1]), "ceil_mode": .int(1)])
        XCTAssertEqual(m.shape, [1, 1, 3])
        XCTAssertEqual(m.floats, [1, 3, 5])
        // Without ceil_mode: floor(5 / 2) + 1 = 3 as well; with kernel 2 stride 2 no pads: 2 vs 3.
        let f = try K.run1("MaxPool", opset: 12, [x], ["kernel_shape": .ints([2]), "strides": .ints([2])])
        XCTAssertEqual(f.floats, [2, 4])
        let c = try K.run1("MaxPool", opset: 12, [x], ["kernel_shape": .ints([2]), "strides": .ints([2]), "ceil_mode": .int(1)])
        XCTAssertEqual(c.floats, [2, 4, 5])
    }

    func testAveragePoolCeilModeCountsOnlyRealPad() throws {
        // x = 1...6, kernel 3, stride 2, pads 1/1, ceil: out = ceil((6 + 2 - 3) / 2) + 1 = 4.
        // Window 3 covers positions 5, 6, 7: 5 is data, 6 is right pad, 7 is past the pad.
        let x = K.f32([1, 2, 3, 4, 5, 6], [1, 1, 6])
        let base: [String: Attribute] = ["kernel_shape": .ints([3]), "strides": .ints([2]), "pads": .ints([1, 1]),
                                         "ceil_mode": .int(1)]
        let incl = try K.run1("AveragePool", opset: 11, [x], base.merging(["count_include_pad": .int(1)]) { $1 })
        XCTAssertEqual(incl.shape, [1, 1, 4])
        K.assertClose(incl.floats, [3.0 / 3, 9.0 / 3, 15.0 / 3, 6.0 / 2])
        let excl = try K.run1("AveragePool", opset: 11, [x], base)
        K.assertClose(excl.floats, [3.0 / 2, 9.0 / 3, 15.0 / 3, 6.0 / 1])
    }

    func testAutoPad() throws {
        let x = K.iota([1, 1, 5, 4], scrambled: true)
        // SAME: out = ceil(in / stride); H: 3 with total pad (3-1)*2+3-5 = 2; W: 4, total pad 1.
        let kernel = [3, 2], strides = [2, 1]
        let upper = Geo(kernel: kernel, strides: strides, dilations: [1, 1], padsBegin: [1, 0], padsEnd: [1, 1], out: [3, 4])
        let lower = Geo(kernel: kernel, strides: strides, dilations: [1, 1], padsBegin: [1, 1], padsEnd: [1, 0], out: [3, 4])
        for (mode, g) in [("SAME_UPPER", upper), ("SAME_LOWER", lower)] {
            let a: [String: Attribute] = ["kernel_shape": .ints(kernel), "strides": .ints(strides), "auto_pad": .string(mode)]
            let m = try K.run1("MaxPool", opset: 12, [x], a)
            XCTAssertEqual(m.shape, [1, 1, 3, 4], mode)
            XCTAssertEqual(m.floats, referencePool(x, g, max: true), mode)
            let av = try K.run1("AveragePool", opset: 11, [x], a)
            K.assertClose(av.floats, referencePool(x, g, max: false), tol: 1e-5)
        }
        let valid = try K.run1("MaxPool", opset: 12, [x], ["kernel_shape": .ints(kernel), "strides": .ints(strides),
                                                          "auto_pad": .string("VALID"), "pads": .ints([1, 1, 1, 1])])
        let vg = Geo(kernel: kernel, strides: strides, dilations: [1, 1], padsBegin: [0, 0], padsEnd: [0, 0], out: [2, 3])
        XCTAssertEqual(valid.shape, [1, 1, 2, 3])
        XCTAssertEqual(valid.floats, referencePool(x, vg, max: true))
    }

    func testPoolErrors() {
        K.assertError(.unsupported, "3-D pooling is not supported") {
            try K.run1("MaxPool", opset: 12, [K.iota([1, 1, 2, 2, 2])], ["kernel_shape": .ints([1, 1, 1])])
        }
        K.assertError(.unsupported, "3-D pooling is not supported") {
            try K.run1("AveragePool", opset: 11, [K.iota([1, 1, 2, 2, 2])], ["kernel_shape": .ints([1, 1, 1])])
        }
        K.assertError(.unsupported, "Indices") {
            try K.run("MaxPool", opset: 12, [K.iota([1, 1, 4, 4])], outputs: 2, ["kernel_shape": .ints([2, 2])])
        }
        K.assertError(.invalidModel, "kernel_shape") { try K.run1("MaxPool", opset: 12, [K.iota([1, 1, 4, 4])]) }
        K.assertError(.invalidModel) {
            try K.run1("MaxPool", opset: 12, [K.iota([1, 1, 4, 4])], ["kernel_shape": .ints([2])])
        }
        K.assertError(.shape) { try K.run1("MaxPool", opset: 12, [K.iota([4, 4])], ["kernel_shape": .ints([2])]) }
        K.assertError(.shape, "does not fit") {
            try K.run1("AveragePool", opset: 11, [K.iota([1, 1, 2, 2])], ["kernel_shape": .ints([3, 3])])
        }
        K.assertError(.invalidModel, "auto_pad") {
            try K.run1("MaxPool", opset: 12, [K.iota([1, 1, 4, 4])], ["kernel_shape": .ints([2, 2]), "auto_pad": .string("SAME")])
        }
    }

    func testGlobalPools() throws {
        for shape in [[2, 3, 4, 5], [2, 3, 7], [1, 2, 2, 2, 3]] {
            let x = K.iota(shape, scrambled: true)
            let planes = shape[0] * shape[1], size = shape[2...].reduce(1, *)
            let v = x.floats
            let avg = try K.run1("GlobalAveragePool", [x])
            XCTAssertEqual(avg.shape, Array(shape[..<2]) + [Int](repeating: 1, count: shape.count - 2))
            K.assertClose(avg.floats, (0..<planes).map { p in
                Float((0..<size).map { Double(v[p * size + $0]) }.reduce(0, +) / Double(size))
            })
            let mx = try K.run1("GlobalMaxPool", [x])
            XCTAssertEqual(mx.floats, (0..<planes).map { p in (0..<size).map { v[p * size + $0] }.max()! })
        }
        K.assertError(.shape) { try K.run1("GlobalAveragePool", [K.iota([2, 3])]) }
    }
}
