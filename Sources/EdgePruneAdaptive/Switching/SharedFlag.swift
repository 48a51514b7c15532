import EdgePruneCore

/// A flag shared between a benchmark's threads (under a lock: TSan-clean).
final class SharedFlag: @unchecked Sendable {
    private let lock = ConditionLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
