import EdgePruneCore

/// One ladder level ready to run: its plan (kernels, packed weights and its own arena, fixed at
/// build and never changed after), the weight formats it was planned with, and what building it
/// cost. Plans of different levels share nothing mutable, so one can run while another is built.
public final class PreparedLevel: @unchecked Sendable {
    public let level: Int
    public let plan: ExecutionPlan
    /// Weight format per Gemm/MatMul/Conv node ("gemm", "csr", ...), as planned.
    public let weightFormats: [String: String]
    /// Estimated bytes this level holds beyond the model: arena + masked weight copies + packed
    /// weights (dense/GEMM formats 4 bytes per parameter, sparse formats 8 per non-zero).
    public let estimatedBytes: Int
    /// Wall time of the build, and whether it measured the formats (a cold prepare) or re-used
    /// formats measured earlier (a warm one).
    public let prepareSeconds: Double
    public let measuredFormats: Bool

    init(level: Int, plan: ExecutionPlan, weightFormats: [String: String], maskedBytes: Int,
         prepareSeconds: Double, measuredFormats: Bool) {
        self.level = level
        self.plan = plan
        self.weightFormats = weightFormats
        var packed = 0
        for step in plan.steps {
            guard let format = weightFormats[step.node] else { continue }
            packed += format == "gemm" || format == "dense" ? step.parameters * 4 : step.nonzeros * 8
        }
        estimatedBytes = plan.arenaBytes + maskedBytes + packed
        self.prepareSeconds = prepareSeconds
        self.measuredFormats = measuredFormats
    }
}

/// Prepared levels kept ready within a byte budget, least recently used evicted first. Levels
/// named as pinned (the active one, and one about to become active) are never evicted, so the
/// budget can be exceeded by at most those two. Not thread-safe: AdaptiveModel guards it.
struct LevelPlanCache {
    let budgetBytes: Int
    private(set) var entries: [Int: PreparedLevel] = [:]
    private var lastUse: [Int: UInt64] = [:]
    private var tick: UInt64 = 0
    private(set) var evictions = 0

    init(budgetBytes: Int) { self.budgetBytes = budgetBytes }

    var totalBytes: Int { entries.values.reduce(0) { $0 + $1.estimatedBytes } }
    var levels: [Int] { entries.keys.sorted() }

    /// The level if kept, marked as just used.
    mutating func lookup(_ level: Int) -> PreparedLevel? {
        guard let p = entries[level] else { return nil }
        tick += 1
        lastUse[level] = tick
        return p
    }

    mutating func insert(_ prepared: PreparedLevel) {
        tick += 1
        entries[prepared.level] = prepared
        lastUse[prepared.level] = tick
    }

    /// Evicts least recently used unpinned levels until the total fits the budget; returns them
    /// so the caller releases their memory outside its lock.
    mutating func enforceBudget(pinned: Set<Int>) -> [PreparedLevel] {
        var evicted: [PreparedLevel] = []
        var total = totalBytes
        while total > budgetBytes {
            let candidates = entries.keys.filter { !pinned.contains($0) }
            guard let victim = candidates.min(by: { lastUse[$0]! < lastUse[$1]! }) else { break }
            let p = entries.removeValue(forKey: victim)!
            lastUse[victim] = nil
            total -= p.estimatedBytes
            evictions += 1
            evicted.append(p)
        }
        return evicted
    }
}
