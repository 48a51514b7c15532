extension ExecutionPlan {
    /// Op types whose weight format the planner chooses (LinearSelection, ConvSelection).
    static let formatChoosingOps: Set<String> = ["Gemm", "MatMul", "Conv"]

    /// The weight format each Gemm/MatMul/Conv step runs, by node name: "gemm" for the dense GEMM
    /// paths, else the format ("csr", "bsr8x1", ...). Fed back as `KernelPolicy.layerFormats`, it
    /// re-plans the same graph (or the same graph at another sparsity) with these formats and no
    /// probe: what a level switch needs to prepare a plan in milliseconds. Nodes whose name occurs
    /// on more than one step are left out (they would be ambiguous; the planner measures them).
    ///
    /// Read from the step's kernel description, where a chosen format is written as
    /// "<kernel> [<format>, <zeros>, <why>]" (FormatLinearKernel, PixelFormatConvKernel); a
    /// description without the bracket is a GEMM path.
    public var weightFormats: [String: String] {
        var formats: [String: String] = [:]
        var duplicates: Set<String> = []
        for step in steps where ExecutionPlan.formatChoosingOps.contains(step.opType) {
            let format = ExecutionPlan.bracketedFormat(step.kernel) ?? "gemm"
            if formats.updateValue(format, forKey: step.node) != nil { duplicates.insert(step.node) }
        }
        for name in duplicates { formats[name] = nil }
        return formats
    }

    /// "name [csr, 90.0% zeros, forced]" -> "csr"; nil without a bracket.
    static func bracketedFormat(_ description: String) -> String? {
        guard let open = description.lastIndex(of: "[") else { return nil }
        let inside = description[description.index(after: open)...]
        let end = inside.firstIndex(where: { $0 == "," || $0 == "]" }) ?? inside.endIndex
        let format = inside[..<end]
        return format.isEmpty ? nil : String(format)
    }
}
