import EdgePruneCore

/// One set of units the ladder builder ranks and removes together: the weight groups of one
/// layer, or the channels of one channel group.
protocol PruningUnits {
    /// Name used in messages and in a level's per-layer sparsity.
    var name: String { get }
    var unitCount: Int { get }
    /// Elements each unit counts for in the sparsity target (weights, or 1 per channel).
    var sizes: [Int] { get }
    /// Unit scores (>= 0) for the method, computed on `graph` (the model at the previous level
    /// when rescoring).
    func scores(_ context: ScoringContext) throws -> [Double]
    /// Marks every element of `unit` pruned from `level` on (codes already set stay).
    func mark(_ unit: Int, level: UInt8, codes: inout [String: [UInt8]])
    /// Per unit: whether an earlier level already pruned it.
    func pruned(_ codes: [String: [UInt8]]) -> [Bool]
}

/// What scoring needs, shared by every unit set of one level.
final class ScoringContext {
    let method: ImportanceMethod
    let graph: Graph
    let data: CalibrationData?
    let gradients: GradientSource?
    private var weightScores: [String: [Float]]?
    private var activations: [String: ChannelActivations]?
    private let layers: [PrunableLayer]
    private let activationValues: [String]

    init(method: ImportanceMethod, graph: Graph, layers: [PrunableLayer], activationValues: [String],
         data: CalibrationData?, gradients: GradientSource?) {
        self.method = method
        self.graph = graph
        self.layers = layers
        self.activationValues = activationValues
        self.data = data
        self.gradients = gradients
    }

    /// Per-weight scores of every pruned layer (computed once per context).
    func weights() throws -> [String: [Float]] {
        if let weightScores { return weightScores }
        let s = try WeightScores.compute(method, graph: graph, layers: layers, data: data, gradients: gradients)
        weightScores = s
        return s
    }

    /// Channel statistics of the activations channel groups are scored on (computed once).
    func channelStats() throws -> [String: ChannelActivations] {
        if let activations { return activations }
        guard let data else { throw EdgePruneError(.input, "method '\(method.rawValue)' needs calibration data (--calib)") }
        let a = try ActivationCapture.collect(graph, values: activationValues, data: data)
        activations = a
        return a
    }
}

/// The weight groups (single weights or blocks) of one layer.
struct WeightUnits: PruningUnits {
    let layer: PrunableLayer
    let groups: WeightGroups
    let aggregate: GroupAggregate

    var name: String { layer.weight }
    var unitCount: Int { groups.count }
    var sizes: [Int] { (0..<groups.count).map(groups.size) }

    func scores(_ context: ScoringContext) throws -> [Double] {
        let w = try context.weights()[layer.weight]!
        return (0..<groups.count).map { aggregate.combine(w, groups.members($0)) }
    }

    func mark(_ unit: Int, level: UInt8, codes: inout [String: [UInt8]]) {
        if codes[layer.weight] == nil { codes[layer.weight] = [UInt8](repeating: 0, count: layer.count) }
        for e in groups.members(unit) where codes[layer.weight]![Int(e)] == 0 { codes[layer.weight]![Int(e)] = level }
    }

    func pruned(_ codes: [String: [UInt8]]) -> [Bool] {
        guard let c = codes[layer.weight] else { return Array(repeating: false, count: groups.count) }
        return (0..<groups.count).map { g in groups.members(g).first.map { c[Int($0)] != 0 } ?? false }
    }
}
