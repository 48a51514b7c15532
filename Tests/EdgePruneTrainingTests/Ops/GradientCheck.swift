import XCTest
@testable import EdgePruneTraining

/// Finite-difference checks of backward passes, in Double (the ops are generic, so this checks
/// the code Float training runs). The scalar checked is L = Σ r ⊙ op(x) for a fixed random r.
enum GradientCheck {
    struct Rng {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) * 2 - 1
        }
        mutating func tensor(_ shape: [Int], awayFromZero: Double = 0) -> TrainTensor<Double> {
            TrainTensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in
                let v = next()
                return v < 0 ? v - awayFromZero : v + awayFromZero
            })
        }
    }

    /// Worst relative error per input over its elements: |a − n| / max(|a|, |n|, 1e-6).
    static func errors(_ op: TrainOp, _ inputs: [TrainTensor<Double>], needs: [Bool]? = nil, seed: UInt64 = 7,
                       step h: Double = 1e-6) throws -> [Double] {
        let needs = needs ?? inputs.map { _ in true }
        var rng = Rng(state: seed)
        let y = try op.forward(inputs)
        let r = rng.tensor(y.shape)
        func loss(_ xs: [TrainTensor<Double>]) throws -> Double {
            zip(try op.forward(xs).data, r.data).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let analytic = op.backward(r, inputs, y, needs: needs)
        var worst: [Double] = []
        for (i, x) in inputs.enumerated() where needs[i] {
            guard let a = analytic[i] else { worst.append(.infinity); continue }
            var e = 0.0
            for j in 0..<x.count {
                var plus = inputs, minus = inputs
                plus[i].data[j] += h
                minus[i].data[j] -= h
                let numeric = (try loss(plus) - loss(minus)) / (2 * h)
                e = max(e, abs(a.data[j] - numeric) / max(abs(a.data[j]), abs(numeric), 1e-6))
            }
            worst.append(e)
        }
        return worst
    }

    static func assertChecks(_ op: TrainOp, _ inputs: [TrainTensor<Double>], needs: [Bool]? = nil, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        do {
            let e = try errors(op, inputs, needs: needs)
            XCTAssertFalse(e.isEmpty, what, file: file, line: line)
            for (i, v) in e.enumerated() {
                XCTAssertLessThanOrEqual(v, 1e-3, "\(what): input \(i) relative error \(v)", file: file, line: line)
            }
        } catch {
            XCTFail("\(what): \(error)", file: file, line: line)
        }
    }
}
