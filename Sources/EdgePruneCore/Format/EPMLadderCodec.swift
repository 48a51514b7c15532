/// The `ladder` section (kind 3, optional): a model's nested sparsity ladder.
///
///     string method, string granularity, string scope
///     u32 level count, then per level:
///         f64 sparsity, u32 n + n x (string weight, f64 zero fraction),
///         i64 macs, i64 parameters, i64 nonzeros, i64 size bytes,
///         u8 has accuracy + f64 accuracy, u8 has latency + f64 latency (us)
///     u32 coded weight count, then per weight: string name, u32 n, n code bytes
///
/// The section is optional: a reader that does not know it loads the stored (level 0) model.
enum EPMLadderCodec {
    static func encode(_ ladder: SparsityLadder) -> [UInt8] {
        var w = BinaryWriter()
        w.string(ladder.method)
        w.string(ladder.granularity)
        w.string(ladder.scope)
        w.count(ladder.levels.count)
        for level in ladder.levels {
            w.f64(level.sparsity)
            w.count(level.layerSparsity.count)
            for (name, s) in level.layerSparsity.sorted(by: { $0.key < $1.key }) { w.string(name); w.f64(s) }
            for v in [level.macs, level.parameters, level.nonzeros, level.sizeBytes] { w.i64(v) }
            for v in [level.accuracy, level.latencyMicros] {
                w.u8(v == nil ? 0 : 1)
                w.f64(v ?? 0)
            }
        }
        w.count(ladder.codes.count)
        for (name, codes) in ladder.codes.sorted(by: { $0.key < $1.key }) {
            w.string(name)
            w.count(codes.count)
            w.bytes += codes
        }
        return w.bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, graph: Graph) throws -> SparsityLadder {
        var r = BinaryReader(bytes, from: range.lowerBound, to: range.upperBound, context: "ladder section")
        let method = try r.string("ladder method")
        let granularity = try r.string("ladder granularity")
        let scope = try r.string("ladder scope")
        var levels: [LadderLevel] = []
        for i in 0..<(try r.count("ladder levels", minItemBytes: 58)) {
            let what = "ladder level \(i)"
            var level = LadderLevel(sparsity: try r.f64(what))
            for _ in 0..<(try r.count("\(what) layers", minItemBytes: 12)) {
                let name = try r.string("\(what) layer name")
                level.layerSparsity[name] = try r.f64(what)
            }
            level.macs = try r.i64(what)
            level.parameters = try r.i64(what)
            level.nonzeros = try r.i64(what)
            level.sizeBytes = try r.i64(what)
            let hasAccuracy = try r.u8(what), accuracy = try r.f64(what)
            let hasLatency = try r.u8(what), latency = try r.f64(what)
            level.accuracy = hasAccuracy != 0 ? accuracy : nil
            level.latencyMicros = hasLatency != 0 ? latency : nil
            levels.append(level)
        }
        var codes: [String: [UInt8]] = [:]
        for _ in 0..<(try r.count("ladder weights", minItemBytes: 8)) {
            let name = try r.string("ladder weight name")
            let n = try r.count("codes of '\(name)'")
            try r.need(n, "codes of '\(name)'")
            codes[name] = Array(UnsafeRawBufferPointer(rebasing: bytes[r.offset..<(r.offset + n)]))
            r.offset += n
        }
        guard r.remaining == 0 else { throw EdgePruneError(.format, "ladder section has \(r.remaining) trailing bytes") }
        let ladder = SparsityLadder(method: method, granularity: granularity, scope: scope, levels: levels, codes: codes)
        try ladder.validate(against: graph)
        return ladder
    }
}
