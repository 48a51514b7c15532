import EdgePruneCore

/// What a parameter slice is to the channel it belongs to.
public enum SliceRole: String, Sendable {
    /// The producing filter (Conv output channel) or neuron (Gemm/MatMul output column).
    case producerWeight
    /// A per-channel additive term on the producer side: the producer's own bias, the bias of a
    /// depthwise Conv the channel passes through, or a per-channel constant added by Add/Sub.
    case producerBias
    /// BatchNormalization parameters of the channel (scale = gamma, bias = beta).
    case bnScale, bnBias, bnMean, bnVar
    /// Weights a channel passes through without mixing with other channels: depthwise Conv
    /// filters, PRelu slopes, per-channel constants a Mul scales by.
    case passThroughWeight
    /// Input-channel weights of the next layers that read the channel (Conv axis 1, Gemm/MatMul
    /// input columns, through Flatten with span H*W).
    case consumerWeight

    /// Roles whose zeros make the channel itself zero (the compaction criterion).
    var isProducerSide: Bool {
        switch self {
        case .producerWeight, .producerBias, .bnScale, .bnBias: return true
        default: return false
        }
    }
}

/// The elements of initializer `tensor` that belong to channel c of a group: along `axis`, the
/// indices `[offset + c*span, offset + (c+1)*span)`.
///
/// `span` is more than 1 where one channel covers several indices: the H*W columns a Flatten
/// makes of it, or the `multiplier` outputs of a depthwise Conv. `offset` is non-zero only where
/// a channel-axis Concat put the group after other channels: a consumer of
/// `Concat(a[16], b[16])` has the slices of b's group at offset 16 (times the span).
public struct ParamSlice: Sendable, Equatable {
    public let tensor: String
    public let axis: Int
    public let span: Int
    public let role: SliceRole
    public let offset: Int

    public init(tensor: String, axis: Int, span: Int, role: SliceRole, offset: Int = 0) {
        self.tensor = tensor
        self.axis = axis
        self.span = span
        self.role = role
        self.offset = offset
    }

    /// Index range of channel `c` along `axis`.
    public func range(of c: Int) -> Range<Int> { (offset + c * span)..<(offset + (c + 1) * span) }
}

/// Output channels of one or more layers that must be pruned together, with every parameter
/// slice that goes with a channel.
public struct ChannelGroup: Sendable {
    public let id: Int
    public let channels: Int
    /// Node names of the Conv/Gemm/MatMul whose output channels these are; several when a
    /// residual Add (or Sum/Mul/Max/Min of two channel-carrying values) couples them.
    public let producers: [String]
    /// Every slice that goes with a channel: producer weights/bias, BN parameters, depthwise
    /// (pass-through) weights, consumer input-channel weights.
    public let slices: [ParamSlice]
    /// Values carrying exactly this group's channels (channel axis 1, channel c at index c) at the
    /// point after each producer's BN/activation chain, and after each coupling Add's chain.
    public let activations: [String]
    public let prunable: Bool
    /// Why the group is not prunable (nil when it is).
    public let reason: String?

    public init(id: Int, channels: Int, producers: [String], slices: [ParamSlice], activations: [String],
                prunable: Bool, reason: String?) {
        self.id = id
        self.channels = channels
        self.producers = producers
        self.slices = slices
        self.activations = activations
        self.prunable = prunable
        self.reason = reason
    }
}
