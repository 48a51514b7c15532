import EdgePruneCore

/// Raw intermediate activations over the calibration data, as a layer sees them: every value
/// flattened to rows of its last dimension (samples x leading positions), in sample order.
enum LayerActivations {
    struct Matrix {
        /// Calibration rows (samples times the value's positions before its last axis).
        let rows: Int
        let width: Int
        /// Row-major [rows, width].
        let values: [Float]
        /// The value's shape with all calibration samples on axis 0.
        let shape: [Int]
    }

    /// Runs `graph` (its ladder dropped: the caller passes the level it wants) over `data` with
    /// `values` added as graph outputs, and returns each value. Throws when a value is not
    /// f32, changes its width between batches, or holds a NaN or infinity (`what` and `level` name
    /// where, in that message).
    static func capture(_ graph: Graph, values: [String], data: CalibrationData, batch: Int = 64,
                        what: String, level: Int,
                        makeSession: (Graph) throws -> InferenceSession) throws -> [String: Matrix] {
        let wanted = Array(Set(values)).sorted()
        guard !wanted.isEmpty else { return [:] }
        let session = try makeSession(ActivationCapture.exposing(wanted, of: graph))
        let info = session.inputs[0]
        var collected: [String: (shape: [Int], values: [Float])] = [:]
        var start = 0
        while start < data.samples {
            let b = min(batch, data.samples - start)
            let feed = data.batch(start, b)
            var outs = try session.run([info.name: feed])
            outs[info.name] = feed
            for name in wanted {
                guard let t = outs[name] else { throw EdgePruneError(.invalidModel, "activation '\(name)' was not produced") }
                guard t.dtype == .float32, t.rank >= 1, t.count > 0 else {
                    throw EdgePruneError(.unsupported, "\(what): activation '\(name)' is \(t.type); reconstruction needs a non-empty f32 value")
                }
                let rest = Array(t.shape.dropFirst())
                var acc = collected[name] ?? ([0] + rest, [])
                guard Array(acc.shape.dropFirst()) == rest, t.rank >= 2, t.shape[0] == b else {
                    throw EdgePruneError(.unsupported, "\(what): activation '\(name)' is \(t.type) for a batch of \(b); reconstruction needs [batch, ...] values of one shape")
                }
                acc.shape[0] += b
                let p = t.pointer(as: Float.self)
                let buffer = UnsafeBufferPointer(start: p, count: t.count)
                if let bad = buffer.firstIndex(where: { !$0.isFinite }) {
                    let perSample = t.count / max(b, 1)
                    throw EdgePruneError(.input, "\(what) at level \(level): activation '\(name)' is \(buffer[bad]) for calibration sample \(start + bad / max(perSample, 1)); reconstruction needs finite activations, nothing written")
                }
                acc.values.append(contentsOf: buffer)
                collected[name] = acc
            }
            start += b
        }
        return collected.mapValues {
            let width = $0.shape.last!
            return Matrix(rows: $0.values.count / max(width, 1), width: width, values: $0.values, shape: $0.shape)
        }
    }
}
