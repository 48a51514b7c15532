import EdgePruneCore

/// The per-row damped least-squares fits of one layer at one level (see LayerReconstruction for
/// the design): accumulates the re-fitted weight and bias over the groups of rows it is given.
struct RowFit {
    struct RowResult {
        var retried = false, failed = false, maskedBetter = false
        /// Squared errors against the targets with the masked and the chosen weights, and the
        /// targets' own energy (sum of squares).
        var maskedError = 0.0, error = 0.0, energy = 0.0
    }

    let layer: PrunableLayer
    let codes: [UInt8]
    let level: Int
    let dense: [Float]
    let denseBias: [Float]?
    let damping: Double
    let anchor: DampingAnchor
    /// The re-fitted weight (pruned elements 0) and bias, in the tensors' element order.
    private(set) var weight: [Float]
    private(set) var bias: [Float]?
    private(set) var results: [RowResult]

    init(layer: PrunableLayer, codes: [UInt8], level: Int, dense: [Float], denseBias: [Float]?, damping: Double, anchor: DampingAnchor) {
        self.layer = layer
        self.codes = codes
        self.level = level
        self.dense = dense
        self.denseBias = denseBias
        self.damping = damping
        self.anchor = anchor
        weight = [Float](repeating: 0, count: layer.count)
        bias = denseBias
        results = [RowResult](repeating: RowResult(), count: layer.rows)
    }

    /// Fits rows firstRow ..< firstRow + y.cols, which all read the columns of `x` (x.cols ==
    /// layer.cols), to the targets `y` (one column per row).
    mutating func solve(x: ColumnMatrix, y: ColumnMatrix, firstRow: Int) {
        let hasBias = denseBias != nil
        let cols = layer.cols, m = cols + (hasBias ? 1 : 0), n = x.rows
        let gram = LeastSquares.gram(x, bias: hasBias)
        let cross = LeastSquares.cross(x, y, bias: hasBias)
        var meanDiagonal = 0.0
        for c in 0..<cols { meanDiagonal += gram[c * m + c] }
        meanDiagonal /= Double(max(cols, 1))
        // All-zero inputs (a dead layer): damping alone decides, as an absolute value.
        let lambda = damping * (meanDiagonal > 0 ? meanDiagonal : 1)
        var energy = [Double](repeating: 0, count: y.cols)
        y.data.withUnsafeBufferPointer { yb in
            for r in 0..<y.cols {
                var s = 0.0
                for k in 0..<n { s += yb[r * n + k] * yb[r * n + k] }
                energy[r] = s
            }
        }
        let layer = self.layer, codes = self.codes, level = self.level, dense = self.dense, denseBias = self.denseBias
        let anchor = self.anchor
        var biasStorage = bias ?? []
        weight.withUnsafeMutableBufferPointer { wb in
            results.withUnsafeMutableBufferPointer { rb in
                biasStorage.withUnsafeMutableBufferPointer { bb in
                    let w = UncheckedBox(wb.baseAddress!), res = UncheckedBox(rb.baseAddress!), b = UncheckedBox(bb.baseAddress)
                    LeastSquares.parallelFor(y.cols) { local in
                        let r = firstRow + local
                        var kept: [Int] = []
                        for c in 0..<cols where SparsityLadder.kept(code: codes[layer.index(row: r, col: c)], level: level) { kept.append(c) }
                        let columns = kept + (hasBias ? [cols] : [])
                        let k = columns.count
                        guard k > 0 else {
                            // Nothing kept and no bias: the row outputs 0 either way.
                            res.value[r] = RowResult(maskedError: energy[local], error: energy[local], energy: energy[local])
                            return
                        }
                        var a0 = [Double](repeating: 0, count: k * k)
                        var rhs = [Double](repeating: 0, count: k)
                        var masked = [Double](repeating: 0, count: k)
                        for (i, ci) in columns.enumerated() {
                            for (j, cj) in columns.enumerated() { a0[i * k + j] = gram[ci * m + cj] }
                            rhs[i] = cross[local * m + ci]
                            masked[i] = ci == cols ? Double(denseBias![r]) : Double(dense[layer.index(row: r, col: ci)])
                        }
                        var result = RowResult(energy: energy[local])
                        var solution: [Double]? = nil
                        var l = lambda
                        for attempt in 0...3 {
                            var a = a0, s = rhs
                            for i in 0..<k where columns[i] != cols || attempt > 0 {
                                a[i * k + i] += l
                                if anchor == .dense { s[i] += l * masked[i] }
                            }
                            if LeastSquares.choleskySolve(&a, &s, m: k) { solution = s; break }
                            result.retried = true
                            l *= 10
                        }
                        // Squared error against the targets, up to the constant y^T y.
                        func error(_ v: [Double]) -> Double {
                            var e = 0.0
                            for i in 0..<k {
                                var av = 0.0
                                for j in 0..<k { av += a0[i * k + j] * v[j] }
                                e += v[i] * av - 2 * v[i] * rhs[i]
                            }
                            return e
                        }
                        let maskedError = error(masked)
                        result.maskedError = max(energy[local] + maskedError, 0)
                        var chosen = masked
                        if let solution {
                            let e = error(solution)
                            if e <= maskedError && solution.allSatisfy({ Float($0).isFinite }) {
                                chosen = solution
                                result.error = max(energy[local] + e, 0)
                            } else {
                                result.maskedBetter = true
                                result.error = result.maskedError
                            }
                        } else {
                            result.failed = true
                            result.error = result.maskedError
                        }
                        for (i, ci) in columns.enumerated() {
                            if ci == cols { b.value![r] = Float(chosen[i]) } else { w.value[layer.index(row: r, col: ci)] = Float(chosen[i]) }
                        }
                        res.value[r] = result
                    }
                }
            }
        }
        if hasBias { bias = biasStorage }
    }
}
