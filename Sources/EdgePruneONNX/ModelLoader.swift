import EdgePruneCore

/// Opens a model by content: .epm (by magic) or ONNX.
public enum ModelLoader {
    public static func load(_ path: String, limits: PlanLimits = PlanLimits()) throws -> Graph {
        if EPMReader.isEPM(path) { return try EPMReader.load(path, limits: limits) }
        return try ONNXImporter.load(path, limits: limits)
    }

    /// Loads and prepares a session (validation, folding and fusion happen here).
    public static func session(_ path: String, limits: PlanLimits = PlanLimits(), threads: Int = 1,
                               policy: KernelPolicy = KernelPolicy()) throws -> InferenceSession {
        let graph = try load(path, limits: limits)
        do {
            return try InferenceSession(graph: graph, limits: limits, threads: threads, policy: policy)
        } catch let e as EdgePruneError {
            throw EdgePruneError(e.kind, "'\(path)': \(e.message)")
        }
    }
}
