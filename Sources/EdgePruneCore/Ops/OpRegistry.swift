/// Every op the runtime supports, by ONNX op type. One table, so `inspect`, the importer and the
/// planner agree on what is supported.
public enum OpRegistry {
    public static let preparers: [String: OpPreparer] = {
        var table: [String: OpPreparer] = [:]
        let groups: [[String: OpPreparer]] = [
            UnaryOps.preparers, BinaryOps.preparers, LayoutOps.preparers, ReductionOps.preparers,
            LinearOps.preparers, ConvOps.preparers, NormalizationOps.preparers,
        ]
        for g in groups {
            table.merge(g) { first, _ in first }
        }
        table["Cast"] = CastOp.prepare
        return table
    }()

    public static var supportedOps: [String] { preparers.keys.sorted() }

    public static func preparer(for node: Node) throws -> OpPreparer {
        guard let p = preparers[node.opType] else {
            throw EdgePruneError(.unsupported, "op '\(node.opType)' used by node '\(node.name)' is not supported")
        }
        return p
    }
}
