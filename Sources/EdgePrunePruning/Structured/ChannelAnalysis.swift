import EdgePruneCore

/// Finds the channel groups of a raw graph and everything compaction needs besides them.
///
/// How it works: every Conv (group 1), Gemm and MatMul with a constant weight starts a group of
/// its output channels. Walking the graph in topological order, each value that carries channels
/// of some groups keeps a list of segments, "group g's channel c is at index
/// `offset + c*span ..< offset + (c+1)*span` of axis 1". Ops a channel passes through unchanged
/// copy the segments; BatchNormalization, PRelu and depthwise Conv add their per-channel
/// parameters as slices; Flatten multiplies offset and span by H*W; a channel-axis Concat shifts
/// each input's segments by the channels before it; Add/Sum/Mul/Max/Min of two carriers merge
/// their groups (union-find), so a channel is removed from every coupled producer at once; a
/// consumer Conv/Gemm/MatMul adds its input-channel weights as slices and starts a new group.
/// Any other reader (Transpose, Softmax, Slice, Shape, graph outputs, ...) makes the groups it
/// reads not prunable, with the reason.
struct ChannelAnalysis {
    /// A fix to a node attribute or shape constant that depends on how many channels go.
    struct CountFix {
        let node: Int
        /// Per segment the node sees: group id and indices per channel.
        let parts: [(group: Int, span: Int)]
    }

    /// The graph the groups refer to (ConstantParameters.materialize of the input).
    let graph: Graph
    let groups: [ChannelGroup]
    /// Whether a zeroed channel stays exactly zero along every path to its consumers (false once
    /// it passes e.g. Sigmoid (0 -> 0.5) or an Add of a broadcast value).
    let zeroPreserving: [Bool]
    /// Depthwise Convs whose `group` attribute equals their (shrinking) input channel count.
    let depthwiseFixes: [CountFix]
    /// Flattening Reshapes whose target shape holds an explicit feature count at index 1.
    let reshapeFixes: [CountFix]

    static func run(_ input: Graph) throws -> ChannelAnalysis {
        let graph = try ConstantParameters.materialize(input)
        var builder = try Builder(graph: graph)
        try builder.walk()
        return builder.finish()
    }
}

private struct Segment: Equatable {
    var group: Int
    var offset: Int
    var channels: Int
    var span: Int

    func scaled(_ k: Int) -> Segment { Segment(group: group, offset: offset * k, channels: channels, span: span * k) }
}

private struct GroupBuild {
    var producer: String
    var producerOutput: String
    var channels: Int
}

/// Element-wise ops a channel passes through unchanged, and whether they map 0 to 0.
private let unaryPassThrough: [String: Bool] = [
    "Relu": true, "LeakyRelu": true, "Tanh": true, "HardSwish": true, "Elu": true, "Selu": true,
    "Celu": true, "Abs": true, "Neg": true, "Identity": true, "Dropout": true, "Softsign": true,
    "Erf": true, "Gelu": true, "ThresholdedRelu": true, "Sign": true,
    "Sigmoid": false, "HardSigmoid": false, "Softplus": false, "Exp": false, "Mish": true,
]
private let pools: Set<String> = ["MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool", "GlobalLpPool"]
private let elementwise: Set<String> = ["Add", "Sub", "Mul", "Div", "Max", "Min", "Sum"]

private struct Builder {
    let graph: Graph
    let shapes: StructuredShapes
    var carriers: [String: [Segment]] = [:]
    var builds: [GroupBuild] = []
    var parent: [Int] = []
    var slices: [(group: Int, slice: ParamSlice)] = []
    var reasons: [(group: Int, reason: String)] = []
    var notZeroPreserving = Set<Int>()
    var mergeOutputs: [(group: Int, value: String)] = []
    var depthwise: [(node: Int, segments: [Segment])] = []
    var reshapes: [(node: Int, segments: [Segment])] = []
    var nodeIndex: [String: Int] = [:]
    var consumers: [String: [Int]] = [:]

    init(graph: Graph) throws {
        self.graph = graph
        shapes = try StructuredShapes.infer(graph)
        for (i, n) in graph.nodes.enumerated() {
            if let out = n.outputs.first(where: { !$0.isEmpty }) { nodeIndex[out] = i }
            for v in n.inputs where !v.isEmpty { consumers[v, default: []].append(i) }
        }
    }

    // MARK: union-find

    mutating func find(_ g: Int) -> Int {
        var r = g
        while parent[r] != r { r = parent[r] }
        var x = g
        while parent[x] != r { let next = parent[x]; parent[x] = r; x = next }
        return r
    }

    mutating func union(_ a: Int, _ b: Int) {
        let ra = find(a), rb = find(b)
        if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
    }

    // MARK: helpers

    func type(_ v: String) -> TensorType? { v.isEmpty ? nil : shapes.types[v] }

    /// The f32 initializer read at input `k`, if any.
    func param(_ node: Node, _ k: Int) -> Tensor? {
        guard k < node.inputs.count, !node.inputs[k].isEmpty, let t = graph.initializers[node.inputs[k]],
              t.dtype == .float32 else { return nil }
        return t
    }

    func name(_ node: Node) -> String { node.name.isEmpty ? (node.outputs.first ?? "?") : node.name }

    mutating func newGroup(_ node: Node, channels: Int) -> Int {
        builds.append(GroupBuild(producer: name(node), producerOutput: node.outputs[0], channels: channels))
        parent.append(builds.count - 1)
        carriers[node.outputs[0]] = [Segment(group: builds.count - 1, offset: 0, channels: channels, span: 1)]
        return builds.count - 1
    }

    mutating func add(_ group: Int, _ tensor: String, axis: Int, offset: Int = 0, span: Int = 1, _ role: SliceRole) {
        slices.append((group, ParamSlice(tensor: tensor, axis: axis, span: span, role: role, offset: offset)))
    }

    mutating func reject(_ segments: [Segment], _ reason: String) {
        for s in segments { reasons.append((s.group, reason)) }
    }

    mutating func rejectAllCarried(_ node: Node, _ reason: String) {
        for v in node.inputs where !v.isEmpty { if let s = carriers[v] { reject(s, reason) } }
    }

    // MARK: walk

    mutating func walk() throws {
        for node in try GraphValidation.topologicalOrder(graph) {
            guard let out = node.outputs.first, !out.isEmpty, let i = nodeIndex[out] else {
                rejectAllCarried(node, "consumed by \(node.label), which has no output")
                continue
            }
            visit(i, node)
        }
        for out in graph.outputs {
            if let s = carriers[out.name] { reject(s, "feeds graph output '\(out.name)'") }
        }
    }

    mutating func visit(_ i: Int, _ node: Node) {
        let op = node.opType
        let extraOutputs = node.outputs.dropFirst().contains { !$0.isEmpty }
        switch op {
        case "Conv": conv(i, node)
        case "Gemm": gemm(node)
        case "MatMul": matmul(node)
        case _ where unaryPassThrough[op] != nil && !extraOutputs:
            passThrough(node, zeroPreserving: unaryPassThrough[op]!)
        case "Clip" where !extraOutputs:
            passThrough(node, zeroPreserving: clipKeepsZero(node))
        case "PRelu": prelu(node)
        case "BatchNormalization" where !extraOutputs: batchNorm(node)
        case _ where pools.contains(op) && !extraOutputs: passThrough(node, zeroPreserving: true)
        case "Flatten": flatten(node)
        case "Reshape": reshape(i, node)
        case "Squeeze", "Unsqueeze": squeeze(node)
        case "Concat": concat(node)
        case _ where elementwise.contains(op): binary(node)
        default: rejectAllCarried(node, "consumed by \(node.label)")
        }
    }

    /// Unary ops (and Clip's constant bounds): the output carries the input's channels.
    mutating func passThrough(_ node: Node, zeroPreserving: Bool) {
        guard let segs = carriers[node.inputs.first ?? ""] else {
            rejectAllCarried(node, "used as a parameter of \(node.label)")
            return
        }
        if node.inputs.dropFirst().contains(where: { carriers[$0] != nil }) {
            rejectAllCarried(node, "used as a parameter of \(node.label)")
            return
        }
        carriers[node.outputs[0]] = segs
        if !zeroPreserving { for s in segs { notZeroPreserving.insert(s.group) } }
    }

    func clipKeepsZero(_ node: Node) -> Bool {
        func bound(_ k: Int, _ attr: String) -> Float?? {
            if graph.opset < 11 { return .some(node.float(attr)) }
            guard k < node.inputs.count, !node.inputs[k].isEmpty else { return .some(nil) }
            guard let t = shapes.constants[node.inputs[k]], t.count == 1 else { return .none }
            return .some(t.asFloats()[0])
        }
        guard let lo = bound(1, "min"), let hi = bound(2, "max") else { return false }
        return (lo ?? -.infinity) <= 0 && (hi ?? .infinity) >= 0
    }

    mutating func conv(_ i: Int, _ node: Node) {
        let x = node.inputs.first ?? ""
        let w = param(node, 1)
        let groupAttr = node.int("group") ?? 1
        if node.inputs.dropFirst().contains(where: { carriers[$0] != nil }) {
            rejectAllCarried(node, "used as a parameter of \(node.label)")
        }
        if let segs = carriers[x], let xt = type(x), xt.rank >= 3 {
            let cin = xt.shape[1]
            if let w, w.rank >= 3, groupAttr == 1 {
                for s in segs { add(s.group, node.inputs[1], axis: 1, offset: s.offset, span: s.span, .consumerWeight) }
            } else if let w, w.rank >= 3, groupAttr == cin, cin > 1, w.shape[1] == 1, w.shape[0] % cin == 0 {
                // Depthwise: channel c is filtered alone into outputs c*m ..< (c+1)*m.
                let m = w.shape[0] / cin
                let bias = node.inputs.count > 2 && !node.inputs[2].isEmpty ? node.inputs[2] : nil
                if bias != nil, param(node, 2) == nil {
                    reject(segs, "passes through depthwise \(node.label), whose bias is not a constant")
                }
                for s in segs {
                    add(s.group, node.inputs[1], axis: 0, offset: s.offset * m, span: s.span * m, .passThroughWeight)
                    if let bias { add(s.group, bias, axis: 0, offset: s.offset * m, span: s.span * m, .producerBias) }
                }
                carriers[node.outputs[0]] = segs.map { $0.scaled(m) }
                depthwise.append((i, segs))
                return
            } else if w == nil {
                reject(segs, "consumed by \(node.label), whose weight is not a constant")
            } else {
                reject(segs, "consumed by grouped \(node.label) (group \(groupAttr))")
            }
        } else if let segs = carriers[x] {
            reject(segs, "consumed by \(node.label) with an input of unexpected rank")
        }
        guard let w, w.rank >= 3, groupAttr == 1 else { return }
        let g = newGroup(node, channels: w.shape[0])
        add(g, node.inputs[1], axis: 0, .producerWeight)
        if node.inputs.count > 2, !node.inputs[2].isEmpty {
            if let b = param(node, 2), b.count == w.shape[0] {
                add(g, node.inputs[2], axis: b.rank - 1, .producerBias)
            } else {
                reasons.append((g, "\(node.label) has a bias that is not a per-channel constant"))
            }
        }
    }

    mutating func gemm(_ node: Node) {
        let transA = (node.int("transA") ?? 0) != 0, transB = (node.int("transB") ?? 0) != 0
        let a = node.inputs.first ?? ""
        let b = param(node, 1)
        let weightOK = !transA && b?.rank == 2 && type(a)?.rank == 2
        if let segs = carriers[a] {
            if weightOK {
                for s in segs { add(s.group, node.inputs[1], axis: transB ? 1 : 0, offset: s.offset, span: s.span, .consumerWeight) }
            } else {
                reject(segs, "consumed by \(node.label) with transA or a non-constant weight")
            }
        }
        if node.inputs.dropFirst().contains(where: { carriers[$0] != nil }) {
            rejectAllCarried(node, "used as a weight or bias of \(node.label)")
        }
        guard weightOK, let b else { return }
        let n = transB ? b.shape[0] : b.shape[1]
        let g = newGroup(node, channels: n)
        add(g, node.inputs[1], axis: transB ? 0 : 1, .producerWeight)
        if node.inputs.count > 2, !node.inputs[2].isEmpty {
            if let c = param(node, 2), c.rank >= 1, c.count == n, c.shape.last == n {
                add(g, node.inputs[2], axis: c.rank - 1, .producerBias)
            } else {
                reasons.append((g, "\(node.label) has a bias that is not a per-output constant"))
            }
        }
    }

    mutating func matmul(_ node: Node) {
        let a = node.inputs.first ?? ""
        let b = param(node, 1)
        let weightOK = b?.rank == 2 && type(a)?.rank == 2
        if let segs = carriers[a] {
            if weightOK {
                for s in segs { add(s.group, node.inputs[1], axis: 0, offset: s.offset, span: s.span, .consumerWeight) }
            } else {
                reject(segs, "consumed by \(node.label) that is not a rank-2 product with a constant weight")
            }
        }
        if node.inputs.count > 1, let segs = carriers[node.inputs[1]] {
            reject(segs, "used as the right operand of \(node.label)")
        }
        guard weightOK, let b else { return }
        let g = newGroup(node, channels: b.shape[1])
        add(g, node.inputs[1], axis: 1, .producerWeight)
    }

    /// Where a constant of `shape` meets channel axis 1 of a rank-`rank` value (numpy broadcasting).
    enum ChannelFit { case broadcast, perChannel(axis: Int), incompatible }

    func fit(_ shape: [Int], rank: Int, channels: Int) -> ChannelFit {
        guard shape.count <= rank else { return .incompatible }
        let axis = 1 - (rank - shape.count)
        if axis < 0 || shape[axis] == 1 { return .broadcast }
        return shape[axis] == channels ? .perChannel(axis: axis) : .incompatible
    }

    mutating func prelu(_ node: Node) {
        guard let segs = carriers[node.inputs.first ?? ""], let xt = type(node.inputs[0]),
              node.inputs.count > 1, let st = type(node.inputs[1]) else {
            rejectAllCarried(node, "used as the slope of \(node.label)")
            return
        }
        if carriers[node.inputs[1]] != nil {
            rejectAllCarried(node, "used as the slope of \(node.label)")
            return
        }
        switch fit(st.shape, rank: xt.rank, channels: xt.shape[1]) {
        case .broadcast: break
        case .perChannel(let axis):
            guard param(node, 1) != nil else {
                reject(segs, "passes through \(node.label), whose per-channel slope is not an initializer")
                return
            }
            for s in segs { add(s.group, node.inputs[1], axis: axis, offset: s.offset, span: s.span, .passThroughWeight) }
        case .incompatible:
            reject(segs, "passes through \(node.label) with slope \(Shape.describe(st.shape))")
            return
        }
        carriers[node.outputs[0]] = segs
    }

    mutating func batchNorm(_ node: Node) {
        guard let segs = carriers[node.inputs.first ?? ""], let xt = type(node.inputs[0]), xt.rank >= 2 else {
            rejectAllCarried(node, "used as a parameter of \(node.label)")
            return
        }
        let roles: [SliceRole] = [.bnScale, .bnBias, .bnMean, .bnVar]
        guard node.inputs.count == 5, (1...4).allSatisfy({ param(node, $0)?.count == xt.shape[1] && param(node, $0)?.rank == 1 }),
              !node.inputs.dropFirst().contains(where: { carriers[$0] != nil }) else {
            rejectAllCarried(node, "passes through \(node.label), whose parameters are not per-channel constants")
            return
        }
        for s in segs {
            for (k, role) in roles.enumerated() {
                add(s.group, node.inputs[k + 1], axis: 0, offset: s.offset, span: s.span, role)
            }
        }
        carriers[node.outputs[0]] = segs
    }

    mutating func flatten(_ node: Node) {
        guard let segs = carriers[node.inputs.first ?? ""], let xt = type(node.inputs[0]) else { return }
        let a = node.int("axis") ?? 1
        guard xt.rank >= 2, (a < 0 ? a + xt.rank : a) == 1 else {
            reject(segs, "consumed by \(node.label) on axis \(a) (only axis 1 keeps channels apart)")
            return
        }
        let inner = xt.shape[2...].reduce(1, *)
        carriers[node.outputs[0]] = segs.map { $0.scaled(inner) }
    }

    mutating func reshape(_ i: Int, _ node: Node) {
        guard let segs = carriers[node.inputs.first ?? ""] else {
            rejectAllCarried(node, "used as the shape of \(node.label)")
            return
        }
        guard let xt = type(node.inputs[0]), let yt = type(node.outputs[0]), xt.rank >= 2,
              yt.rank == 2, yt.shape[0] == xt.shape[0], yt.shape[1] == xt.shape[1...].reduce(1, *) else {
            reject(segs, "consumed by \(node.label) with an unsupported target shape")
            return
        }
        let inner = xt.shape[2...].reduce(1, *)
        let out = segs.map { $0.scaled(inner) }
        carriers[node.outputs[0]] = out
        // The feature count at index 1 must follow the channels: -1 and 0 do by themselves; a
        // stored number is rewritten by compaction, a computed one cannot be.
        let target: [Int]?
        let stored: Bool
        if graph.opset < 5 {
            target = node.ints("shape"); stored = true
        } else if node.inputs.count > 1 {
            target = shapes.constants[node.inputs[1]]?.asInts()
            stored = graph.initializers[node.inputs[1]] != nil
        } else {
            target = nil; stored = false
        }
        guard let target, target.count == 2 else {
            reject(segs, "consumed by \(node.label) with an unsupported target shape")
            return
        }
        if target[1] == -1 || target[1] == 0 { return }
        guard stored else {
            reject(segs, "consumed by \(node.label), whose target shape is computed with a fixed feature count")
            return
        }
        reshapes.append((i, out))
    }

    mutating func squeeze(_ node: Node) {
        guard let segs = carriers[node.inputs.first ?? ""] else {
            rejectAllCarried(node, "used as the axes of \(node.label)")
            return
        }
        guard let xt = type(node.inputs[0]), let yt = type(node.outputs[0]), xt.rank >= 2, yt.rank >= 2,
              xt.shape[0] == yt.shape[0], xt.shape[1] == yt.shape[1] else {
            reject(segs, "consumed by \(node.label), which moves the channel axis")
            return
        }
        carriers[node.outputs[0]] = segs
    }

    mutating func concat(_ node: Node) {
        guard node.inputs.contains(where: { carriers[$0] != nil }) else { return }
        guard let yt = type(node.outputs[0]), yt.rank >= 2 else {
            rejectAllCarried(node, "consumed by \(node.label)")
            return
        }
        let a = node.int("axis") ?? 1
        guard (a < 0 ? a + yt.rank : a) == 1 else {
            rejectAllCarried(node, "consumed by \(node.label) on axis \(a), not the channel axis")
            return
        }
        var offset = 0
        var out: [Segment] = []
        for v in node.inputs where !v.isEmpty {
            guard let t = type(v), t.rank == yt.rank else { continue }
            if let segs = carriers[v] {
                out += segs.map { Segment(group: $0.group, offset: $0.offset + offset, channels: $0.channels, span: $0.span) }
            }
            offset += t.shape[1]
        }
        carriers[node.outputs[0]] = out
    }

    /// Add/Sub/Mul/Div/Max/Min/Sum. Two channel carriers couple their groups; a constant with a
    /// per-channel axis becomes a slice (a bias for Add/Sub, a scale for Mul); a value broadcast
    /// along the channels passes every channel through.
    mutating func binary(_ node: Node) {
        let op = node.opType
        let inputs = node.inputs.enumerated().filter { !$0.element.isEmpty }
        let carried = inputs.filter { carriers[$0.element] != nil }
        guard !carried.isEmpty else { return }
        guard let yt = type(node.outputs[0]), yt.rank >= 2 else {
            rejectAllCarried(node, "consumed by \(node.label)")
            return
        }
        let channels = yt.shape[1]
        for (_, v) in carried where type(v)?.rank != yt.rank || type(v)?.shape[1] != channels {
            rejectAllCarried(node, "combined by \(node.label) with broadcasting across the channel axis")
            return
        }
        if op == "Div", carried.contains(where: { $0.offset != 0 }) {
            rejectAllCarried(node, "used as the divisor of \(node.label)")
            return
        }
        let first = carriers[carried[0].element]!
        for (_, v) in carried.dropFirst() {
            let other = carriers[v]!
            let sameLayout = other.count == first.count && zip(other, first).allSatisfy {
                $0.offset == $1.offset && $0.channels == $1.channels && $0.span == $1.span
            }
            guard sameLayout else {
                rejectAllCarried(node, "coupled by \(node.label) with channels arranged differently")
                return
            }
            for (a, b) in zip(first, other) { union(a.group, b.group) }
        }
        for (k, v) in inputs where carriers[v] == nil {
            guard let t = type(v) else { continue }
            switch fit(t.shape, rank: yt.rank, channels: channels) {
            case .broadcast:
                let keepsZero = op == "Mul" || (op == "Div" && k == 1)
                if !keepsZero { for s in first { notZeroPreserving.insert(s.group) } }
            case .perChannel(let axis):
                let role: SliceRole?
                switch op {
                case "Add", "Sub", "Sum": role = .producerBias
                case "Mul": role = .passThroughWeight
                default: role = nil
                }
                guard let role, graph.initializers[v]?.dtype == .float32 else {
                    reject(first, "combined by \(node.label) with '\(v)', whose channels are not tracked")
                    return
                }
                for s in first { add(s.group, v, axis: axis, offset: s.offset, span: s.span, role) }
            case .incompatible:
                reject(first, "combined by \(node.label) with '\(v)' \(Shape.describe(t.shape))")
                return
            }
        }
        carriers[node.outputs[0]] = first
        if carried.count > 1 { mergeOutputs.append((first[0].group, node.outputs[0])) }
    }

    // MARK: result

    /// Follows single-consumer unary/BN/PRelu chains from `value` to the activation after them.
    func chainEnd(_ value: String) -> String {
        var v = value
        let outputs = Set(graph.outputs.map(\.name))
        while !outputs.contains(v), let users = consumers[v], users.count == 1 {
            let n = graph.nodes[users[0]]
            let op = n.opType
            guard n.inputs.first == v, unaryPassThrough[op] != nil || op == "Clip" || op == "PRelu" || op == "BatchNormalization",
                  carriers[n.outputs[0]] != nil else { break }
            v = n.outputs[0]
        }
        return v
    }

    mutating func finish() -> ChannelAnalysis {
        // Shared parameters: cutting one reader's slice would break the other reader.
        var readers: [String: Int] = [:]
        for n in graph.nodes {
            for v in Set(n.inputs) where graph.initializers[v] != nil { readers[v, default: 0] += 1 }
        }
        for (g, s) in slices where (readers[s.tensor] ?? 0) > 1 {
            reasons.append((g, "parameter '\(s.tensor)' is read by \(readers[s.tensor]!) nodes"))
        }
        var roots: [Int] = []
        var idOf: [Int: Int] = [:]
        for g in builds.indices {
            let r = find(g)
            if idOf[r] == nil { idOf[r] = roots.count; roots.append(r) }
        }
        func id(_ g: Int) -> Int { idOf[find(g)]! }
        var producers = [[String]](repeating: [], count: roots.count)
        var activations = [[String]](repeating: [], count: roots.count)
        for (g, b) in builds.enumerated() {
            producers[id(g)].append(b.producer)
            activations[id(g)].append(chainEnd(b.producerOutput))
        }
        for (g, v) in mergeOutputs {
            let end = chainEnd(v)
            // Only a value holding exactly the group (channel c at index c) is an activation of it.
            if let segs = carriers[end], segs.count == 1, segs[0].offset == 0, segs[0].span == 1,
               type(end)?.shape[1] == segs[0].channels {
                activations[id(g)].append(end)
            }
        }
        var groupSlices = [[ParamSlice]](repeating: [], count: roots.count)
        for (g, s) in slices where !groupSlices[id(g)].contains(s) { groupSlices[id(g)].append(s) }
        var groupReason = [String?](repeating: nil, count: roots.count)
        for (g, r) in reasons where groupReason[id(g)] == nil { groupReason[id(g)] = r }
        var keepsZero = [Bool](repeating: true, count: roots.count)
        for g in notZeroPreserving { keepsZero[id(g)] = false }
        var seen = Set<String>()
        let groups = roots.indices.map { k -> ChannelGroup in
            let acts = activations[k].filter { seen.insert($0).inserted }
            return ChannelGroup(id: k, channels: builds[roots[k]].channels, producers: producers[k], slices: groupSlices[k],
                                activations: acts, prunable: groupReason[k] == nil, reason: groupReason[k])
        }
        func fix(_ entry: (node: Int, segments: [Segment])) -> ChannelAnalysis.CountFix {
            ChannelAnalysis.CountFix(node: entry.node, parts: entry.segments.map { (id($0.group), $0.span) })
        }
        return ChannelAnalysis(graph: graph, groups: groups, zeroPreserving: keepsZero,
                               depthwiseFixes: depthwise.map(fix), reshapeFixes: reshapes.map(fix))
    }
}

/// Dependency-aware channel groups of a raw (unfused) graph.
public enum ChannelGroups {
    /// Every group of output channels of the graph's Conv/Gemm/MatMul layers, prunable or not
    /// (with the reason), ids in topological order of their first producer. Slices name
    /// initializers; Constant nodes and Identity-of-initializer nodes count as initializers of
    /// their output's name (ChannelMasking and StructuredCompaction make them so).
    public static func analyze(_ graph: Graph) throws -> [ChannelGroup] {
        try ChannelAnalysis.run(graph).groups
    }
}
