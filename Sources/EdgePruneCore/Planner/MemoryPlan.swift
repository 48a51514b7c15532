/// Offsets of every activation buffer in one arena, from buffer lifetimes (first and last step
/// that touches them). Greedy by size: the largest buffers are placed first at the lowest offset
/// that overlaps no placed buffer whose lifetime intersects; the result is computed once at load.
struct MemoryPlan {
    struct Request {
        var bytes: Int
        var firstStep: Int
        var lastStep: Int
    }

    let offsets: [Int]
    let arenaBytes: Int

    init(_ requests: [Request], alignment: Int = 64) {
        let sizes = requests.map { ($0.bytes + alignment - 1) / alignment * alignment }
        let order = requests.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        var offsets = [Int](repeating: 0, count: requests.count)
        var placed: [Int] = []
        var total = 0
        for i in order {
            let r = requests[i]
            // Occupied ranges of placed buffers alive at the same time, by offset.
            let busy = placed.filter { j in
                requests[j].firstStep <= r.lastStep && r.firstStep <= requests[j].lastStep
            }.map { (offsets[$0], offsets[$0] + sizes[$0]) }.sorted { $0.0 < $1.0 }
            var candidate = 0
            for (lo, hi) in busy {
                if candidate + sizes[i] <= lo { break }
                candidate = max(candidate, hi)
            }
            offsets[i] = candidate
            total = max(total, candidate + sizes[i])
            placed.append(i)
        }
        self.offsets = offsets
        arenaBytes = total
    }
}
