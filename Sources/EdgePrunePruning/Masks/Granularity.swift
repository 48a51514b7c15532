import EdgePruneCore

/// The pattern pruning removes weights in.
public enum Granularity: Sendable, Equatable, CustomStringConvertible {
    /// Any single weight.
    case unstructured
    /// Blocks of `rows` output units x `cols` inputs: the shapes the block-sparse kernels skip
    /// (bsr1x4, bsr4x1 ... bsr32x1 for Linear layers, bsr4x1 for convolutions).
    case block(rows: Int, cols: Int)
    /// At most n of every m consecutive inputs of an output unit kept (2:4, 4:8 kernels).
    case nm(n: Int, m: Int)
    /// Whole output channels, neurons or filters, removed with everything that depends on them.
    case channel

    public var description: String {
        switch self {
        case .unstructured: return "unstructured"
        case .block(let r, let c): return "block:\(r)x\(c)"
        case .nm(let n, let m): return "nm:\(n):\(m)"
        case .channel: return "channel"
        }
    }

    /// Parses "unstructured", "block:RxC", "nm:N:M" or "channel".
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts[0] {
        case "unstructured" where parts.count == 1: self = .unstructured
        case "channel" where parts.count == 1: self = .channel
        case "block" where parts.count == 2:
            let dims = parts[1].split(separator: "x", omittingEmptySubsequences: false).compactMap { Int($0) }
            guard dims.count == 2, dims.allSatisfy({ (1...256).contains($0) }), dims[0] * dims[1] > 1 else {
                throw EdgePruneError(.input, "granularity '\(text)': a block is RxC with R and C in 1...256 and more than one weight (e.g. block:16x1, block:1x4)")
            }
            self = .block(rows: dims[0], cols: dims[1])
        case "nm" where parts.count == 3:
            guard let n = Int(parts[1]), let m = Int(parts[2]), m >= 2, m <= 64, n >= 1, n < m else {
                throw EdgePruneError(.input, "granularity '\(text)': N:M needs 1 <= N < M <= 64 (e.g. nm:2:4, nm:4:8)")
            }
            self = .nm(n: n, m: m)
        default:
            throw EdgePruneError(.input, "unknown granularity '\(text)' (unstructured, block:RxC, nm:N:M, channel)")
        }
    }
}
