/// A broadcast of two operands to an output shape, compiled at prepare time into "rows": the
/// innermost merged dimension runs as a flat loop with strides 0 or 1 per operand, and the outer
/// rows' starting offsets are tabulated, so run needs no index arithmetic and no allocation.
struct BroadcastPlan {
    let count: Int
    let inner: Int
    let strideA: Int   // 0 or 1 within a row
    let strideB: Int
    let rowOffsetsA: [Int]
    let rowOffsetsB: [Int]

    init(a: [Int], b: [Int], out: [Int]) {
        let r = out.count
        let pa = [Int](repeating: 1, count: r - a.count) + a
        let pb = [Int](repeating: 1, count: r - b.count) + b
        // Merge adjacent dims where both operands broadcast (or not) the same way.
        var dims: [(n: Int, ba: Bool, bb: Bool)] = []
        for i in 0..<r where out[i] != 1 {
            let ba = pa[i] == 1, bb = pb[i] == 1
            if let last = dims.last, last.ba == ba, last.bb == bb {
                dims[dims.count - 1].n *= out[i]
            } else {
                dims.append((out[i], ba, bb))
            }
        }
        count = out.reduce(1, *)
        guard let last = dims.last else {
            inner = count; strideA = 0; strideB = 0; rowOffsetsA = [0]; rowOffsetsB = [0]
            return
        }
        inner = last.n
        strideA = last.ba ? 0 : 1
        strideB = last.bb ? 0 : 1
        let outer = dims.dropLast()
        // Element strides of each operand over the merged dims.
        var sa = [Int](repeating: 0, count: outer.count), sb = sa
        var accA = last.ba ? 1 : last.n, accB = last.bb ? 1 : last.n
        for (j, d) in outer.enumerated().reversed() {
            sa[j] = d.ba ? 0 : accA
            sb[j] = d.bb ? 0 : accB
            if !d.ba { accA *= d.n }
            if !d.bb { accB *= d.n }
        }
        let rows = inner == 0 ? 0 : count / inner
        var offA = [Int](repeating: 0, count: rows), offB = offA
        var idx = [Int](repeating: 0, count: outer.count)
        var oa = 0, ob = 0
        for row in 0..<rows {
            offA[row] = oa
            offB[row] = ob
            // Increment the mixed-radix counter.
            var j = outer.count - 1
            while j >= 0 {
                idx[j] += 1
                oa += sa[j]
                ob += sb[j]
                if idx[j] < outer[outer.startIndex + j].n { break }
                oa -= sa[j] * idx[j]
                ob -= sb[j] * idx[j]
                idx[j] = 0
                j -= 1
            }
        }
        rowOffsetsA = offA
        rowOffsetsB = offB
    }
}
