import EdgePruneCore

/// Per-channel statistics of one activation over the calibration data.
public struct ChannelActivations: Sendable {
    public let channels: Int
    public let samples: Int
    /// Mean |x| per channel (over samples and positions).
    public let meanAbs: [Double]
    /// Fraction of exactly-zero values per channel (APoZ).
    public let zeroFraction: [Double]
    /// Per sample and channel, the channel's mean over positions: [samples * channels].
    public let sampleMeans: [Float]
}

/// Reads intermediate activations by running the model with them added as graph outputs (the
/// planner keeps graph outputs through fusion, so the model computes exactly what it computes
/// when deployed).
public enum ActivationCapture {
    /// `graph` without its ladder and with `values` added as graph outputs (the model input and
    /// values that already are outputs are left as they are).
    static func exposing(_ values: [String], of graph: Graph) -> Graph {
        var g = graph
        g.ladder = nil
        let inputName = graph.runtimeInputs.first?.name
        for name in values where name != inputName && !g.outputs.contains(where: { $0.name == name }) {
            g.outputs.append(ValueInfo(name: name, dtype: .float32, dims: []))
        }
        return g
    }

    public static func collect(_ graph: Graph, values: [String], data: CalibrationData, batch: Int = 64) throws -> [String: ChannelActivations] {
        let wanted = Array(Set(values)).sorted()
        guard !wanted.isEmpty else { return [:] }
        let session = try InferenceSession(graph: exposing(wanted, of: graph))
        let info = session.inputs[0]
        var sums: [String: (abs: [Double], zeros: [Int], perSample: [Float], positions: Int)] = [:]
        var start = 0
        while start < data.samples {
            let b = min(batch, data.samples - start)
            let feed = data.batch(start, b)
            var outs = try session.run([info.name: feed])
            outs[info.name] = feed  // a layer reading the model input itself
            for name in wanted {
                guard let t = outs[name] else { throw EdgePruneError(.invalidModel, "activation '\(name)' was not produced") }
                guard t.dtype == .float32, t.rank >= 2, t.shape[0] == b else {
                    throw EdgePruneError(.unsupported, "activation '\(name)' is \(t.type); channel statistics need an f32 [batch, channels, ...] value")
                }
                let c = t.shape[1], positions = t.shape.dropFirst(2).reduce(1, *)
                var acc = sums[name] ?? (Array(repeating: 0, count: c), Array(repeating: 0, count: c), [], positions)
                let p = t.pointer(as: Float.self)
                for s in 0..<b {
                    for ch in 0..<c {
                        var a = 0.0, v = 0.0, z = 0
                        let base = (s * c + ch) * positions
                        for i in 0..<positions {
                            let x = p[base + i]
                            a += Double(abs(x)); v += Double(x)
                            if x == 0 { z += 1 }
                        }
                        acc.abs[ch] += a
                        acc.zeros[ch] += z
                        acc.perSample.append(Float(v / Double(positions)))
                    }
                }
                sums[name] = acc
            }
            start += b
        }
        let n = data.samples
        return sums.mapValues { acc in
            let total = Double(n * acc.positions)
            return ChannelActivations(channels: acc.abs.count, samples: n, meanAbs: acc.abs.map { $0 / total },
                                      zeroFraction: acc.zeros.map { Double($0) / total }, sampleMeans: acc.perSample)
        }
    }
}
