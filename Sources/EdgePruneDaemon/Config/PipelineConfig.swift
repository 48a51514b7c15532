import EdgePruneDevice

extension DaemonConfig {
    /// `window:` how samples become model inputs.
    public struct Window: Sendable, Equatable {
        /// Samples per window; size × channels must equal the model's input size (checked by
        /// the daemon once the model and the source are open).
        public var size: Int
        /// Samples from one window's start to the next.
        public var hop: Int
        /// time-major (values[t·C+c]: MLP, sequence models) or channel-major (values[c·T+t]: 1-D CNN).
        public var layout: WindowLayout

        public init(size: Int = 1, hop: Int = 1, layout: WindowLayout = .timeMajor) {
            self.size = size
            self.hop = hop
            self.layout = layout
        }

        static let keys = ["size", "hop", "layout"]

        mutating func merge(_ r: inout MappingReader) throws {
            if let v = try r.int("size") { size = v }
            if let v = try r.int("hop") { hop = v }
            if let v = try r.choice("layout", [("time-major", WindowLayout.timeMajor), ("channel-major", .channelMajor)]) { layout = v }
            try r.finish(known: Self.keys)
        }
    }

    /// `queue:` the bounded queue between the source thread and inference.
    public struct Queue: Sendable, Equatable {
        public var capacity: Int
        /// drop-oldest (default: inference sees the freshest data), drop-newest, or block.
        public var policy: BackpressurePolicy
        /// With `block`: how long a full queue makes the source wait before dropping the new
        /// window (nil: until there is room or the daemon stops).
        public var blockTimeoutSeconds: Double?

        public init(capacity: Int = 64, policy: BackpressurePolicy = .dropOldest, blockTimeoutSeconds: Double? = nil) {
            self.capacity = capacity
            self.policy = policy
            self.blockTimeoutSeconds = blockTimeoutSeconds
        }

        static let keys = ["capacity", "policy", "block_timeout_seconds"]

        mutating func merge(_ r: inout MappingReader) throws {
            if let v = try r.int("capacity") { capacity = v }
            if let v = try r.choice("policy", BackpressurePolicy.allCases.map { ($0.rawValue, $0) }) { policy = v }
            if let v = try r.optionalDouble("block_timeout_seconds") { blockTimeoutSeconds = v }
            try r.finish(known: Self.keys)
        }
    }
}
