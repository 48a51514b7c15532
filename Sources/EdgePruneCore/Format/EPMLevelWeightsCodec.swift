/// The `level weights` section (kind 4, required when present): weights that recovery
/// (fine-tuning, reconstruction) re-fitted for single ladder levels.
///
///     u32 entry count, then per entry (ascending level, then name):
///         u32 level, string weight, u32 n, n x f32 (the level's kept elements, element order)
enum EPMLevelWeightsCodec {
    static func encode(_ ladder: SparsityLadder) -> [UInt8] {
        var w = BinaryWriter()
        let entries = ladder.levelWeights.sorted { $0.key < $1.key }.flatMap { level, weights in
            weights.sorted { $0.key < $1.key }.map { (level, $0.key, $0.value) }
        }
        w.count(entries.count)
        for (level, name, values) in entries {
            w.count(level)
            w.string(name)
            w.count(values.count)
            for v in values { w.f32(v) }  // (an empty list has no base address to copy from)
        }
        return w.bytes
    }

    /// Decodes the entries; `SparsityLadder.validate` checks them against the ladder afterwards.
    static func decode(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws -> [Int: [String: [Float]]] {
        var r = BinaryReader(bytes, from: range.lowerBound, to: range.upperBound, context: "level-weights section")
        var out: [Int: [String: [Float]]] = [:]
        for _ in 0..<(try r.count("level-weight entries", minItemBytes: 12)) {
            let level = try r.count("level-weight level")
            let name = try r.string("level-weight name")
            let n = try r.count("level \(level) weights of '\(name)'", minItemBytes: 4)
            var values = [Float](repeating: 0, count: n)
            for i in 0..<n { values[i] = try r.f32("level \(level) weights of '\(name)'") }
            guard out[level]?[name] == nil else {
                throw EdgePruneError(.format, "level-weights section holds level \(level) of '\(name)' twice")
            }
            out[level, default: [:]][name] = values
        }
        guard r.remaining == 0 else { throw EdgePruneError(.format, "level-weights section has \(r.remaining) trailing bytes") }
        return out
    }
}
