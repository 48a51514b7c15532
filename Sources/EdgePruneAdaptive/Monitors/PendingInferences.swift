/// Inferences waiting for their label, bounded in count and age, plus a memory of recently
/// resolved ids so a late or repeated label can be told apart from an id never seen.
///
/// Entries live in a ring in the order they were noted (slot = note sequence number mod
/// capacity); a dictionary maps an id to its slot. An entry leaves when its label arrives
/// (leaving a hole), when `capacity` newer inferences have been noted (evicted), or when it is
/// older than `maxAge` (aged out). Because notes arrive in time order, the expired entries are
/// always at the front of the ring, so expiry is a pop from the front, amortised O(1).
/// Dictionaries are reserved to their bound once, so no call allocates after init.
struct PendingInferences {
    struct Entry {
        var id: UInt64 = 0
        var level: Int = 0
        var predicted: Int = 0
        var time: Double = 0
        var live = false
    }

    enum Resolution: UInt8 { case labelled = 0, expired = 1 }

    let capacity: Int
    let maxAge: Double
    private var slots: [Entry]
    private var start = 0
    private var length = 0
    private var index: [UInt64: Int] = [:]

    /// The last `capacity` resolved ids: ring of ids, dictionary id -> (ring position << 1 | resolution).
    private var resolvedIds: [UInt64]
    private var resolvedNext = 0
    private var resolvedCount = 0
    private var resolved: [UInt64: Int] = [:]

    private(set) var evicted = 0
    private(set) var agedOut = 0

    init(capacity: Int, maxAge: Double) {
        self.capacity = capacity
        self.maxAge = maxAge
        slots = Array(repeating: Entry(), count: capacity)
        resolvedIds = Array(repeating: 0, count: capacity)
        index.reserveCapacity(capacity)
        resolved.reserveCapacity(capacity)
    }

    var count: Int { index.count }

    func contains(_ id: UInt64) -> Bool { index[id] != nil }

    /// Adds an inference (the caller checked the id is not pending and `time` is not earlier
    /// than any earlier note), evicting the oldest note when `capacity` notes are in the ring.
    mutating func insert(id: UInt64, level: Int, predicted: Int, time: Double) {
        expire(now: time)
        if length == capacity { popFront(counting: true) }
        let slot = (start + length) % capacity
        slots[slot] = Entry(id: id, level: level, predicted: predicted, time: time, live: true)
        index[id] = slot
        length += 1
        // A reused id starts afresh: its old resolution no longer describes it.
        resolved.removeValue(forKey: id)
    }

    /// Removes and returns the pending entry for `id`, remembering it as labelled.
    mutating func take(_ id: UInt64) -> Entry? {
        guard let slot = index.removeValue(forKey: id) else { return nil }
        let e = slots[slot]
        slots[slot].live = false
        remember(id, .labelled)
        return e
    }

    /// How `id` left the pending map, if it did so within the last `capacity` resolutions.
    func resolution(of id: UInt64) -> Resolution? {
        guard let v = resolved[id] else { return nil }
        return Resolution(rawValue: UInt8(v & 1))
    }

    /// Ages out every entry older than `maxAge` at `now` (and drops holes at the front).
    mutating func expire(now: Double) {
        while length > 0 {
            let e = slots[start]
            if e.live && !(now - e.time > maxAge) { return }
            popFront(counting: false)
        }
    }

    private mutating func popFront(counting isEviction: Bool) {
        let e = slots[start]
        if e.live {
            index.removeValue(forKey: e.id)
            slots[start].live = false
            if isEviction { evicted += 1 } else { agedOut += 1 }
            remember(e.id, .expired)
        }
        start = start + 1 == capacity ? 0 : start + 1
        length -= 1
    }

    private mutating func remember(_ id: UInt64, _ r: Resolution) {
        if resolvedCount == capacity {
            // Forget the oldest resolution, unless its id was resolved again since (then the
            // dictionary points at the newer ring position).
            let old = resolvedIds[resolvedNext]
            if let v = resolved[old], v >> 1 == resolvedNext { resolved.removeValue(forKey: old) }
        } else {
            resolvedCount += 1
        }
        resolvedIds[resolvedNext] = id
        resolved[id] = resolvedNext << 1 | Int(r.rawValue)
        resolvedNext = resolvedNext + 1 == capacity ? 0 : resolvedNext + 1
    }
}
