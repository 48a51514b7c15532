/// A layer's weights split into the groups pruning removes whole: one weight each (unstructured),
/// or `rows x cols` tiles of the (output unit x input) matrix (block; edge tiles are smaller).
/// Members are element indices into the weight tensor, stored flat (group g owns
/// elements[starts[g] ..< starts[g + 1]]).
struct WeightGroups {
    let starts: [Int32]
    let elements: [Int32]

    var count: Int { starts.count - 1 }

    func members(_ g: Int) -> ArraySlice<Int32> { elements[Int(starts[g])..<Int(starts[g + 1])] }
    func size(_ g: Int) -> Int { Int(starts[g + 1] - starts[g]) }

    static func make(_ layer: PrunableLayer, blockRows: Int = 1, blockCols: Int = 1) -> WeightGroups {
        var starts: [Int32] = [0], elements: [Int32] = []
        elements.reserveCapacity(layer.count)
        var r0 = 0
        while r0 < layer.rows {
            var c0 = 0
            while c0 < layer.cols {
                for r in r0..<min(r0 + blockRows, layer.rows) {
                    for c in c0..<min(c0 + blockCols, layer.cols) { elements.append(Int32(layer.index(row: r, col: c))) }
                }
                starts.append(Int32(elements.count))
                c0 += blockCols
            }
            r0 += blockRows
        }
        return WeightGroups(starts: starts, elements: elements)
    }

    /// Groups of `m` consecutive inputs of one output unit (the N:M pattern's groups).
    static func nmGroups(_ layer: PrunableLayer, m: Int) -> WeightGroups { make(layer, blockRows: 1, blockCols: m) }
}
