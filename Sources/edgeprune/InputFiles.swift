import EdgePruneCore
import Foundation

/// Reads model inputs from .npy, .csv or .json files and fits them to the model's input shapes:
/// the first dimension is the batch; a file whose rows hold one flattened sample each is
/// reshaped to the model's per-sample shape.
enum InputFiles {
    /// `--input PATH` (single-input models) or `--input NAME=PATH`.
    static func feeds(_ specs: [String], session: InferenceSession) throws -> [String: Tensor] {
        let inputs = session.inputs
        var feeds: [String: Tensor] = [:]
        for spec in specs {
            let name: String, path: String
            if let eq = spec.firstIndex(of: "="), inputs.contains(where: { $0.name == String(spec[..<eq]) }) {
                name = String(spec[..<eq])
                path = String(spec[spec.index(after: eq)...])
            } else {
                guard inputs.count == 1 else {
                    throw EdgePruneError(.input, "the model has \(inputs.count) inputs (\(inputs.map(\.name).joined(separator: ", "))); use --input NAME=PATH")
                }
                name = inputs[0].name
                path = spec
            }
            let info = inputs.first { $0.name == name }!
            feeds[name] = try fit(try read(path, dtype: info.dtype), to: info, path: path)
        }
        return feeds
    }

    static func read(_ path: String, dtype: DType) throws -> Tensor {
        let lower = path.lowercased()
        if lower.hasSuffix(".npy") { return try NPY.read(path) }
        let text = String(decoding: try FileIO.read(path, maxBytes: 1 << 30), as: UTF8.self)
        if lower.hasSuffix(".csv") { return try csv(text, path: path) }
        if lower.hasSuffix(".json") { return try json(text, path: path) }
        throw EdgePruneError(.input, "'\(path)': unknown input format (use .npy, .csv or .json)")
    }

    /// Rows of comma-separated numbers → [rows, columns] f32. A non-numeric first row is a header.
    static func csv(_ text: String, path: String) throws -> Tensor {
        var rows: [[Float]] = []
        for (i, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let cells = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let values = cells.compactMap { Float($0) }
            if values.count != cells.count {
                if i == 0 && rows.isEmpty { continue }
                throw EdgePruneError(.input, "'\(path)' line \(i + 1): not a number in '\(line.prefix(60))'")
            }
            if let first = rows.first, first.count != values.count {
                throw EdgePruneError(.input, "'\(path)' line \(i + 1): \(values.count) columns, expected \(first.count)")
            }
            rows.append(values)
        }
        guard let first = rows.first else { throw EdgePruneError(.input, "'\(path)' has no data rows") }
        return Tensor(rows.flatMap { $0 }, shape: [rows.count, first.count])
    }

    /// A (nested) JSON array of numbers → f32 tensor of that shape.
    static func json(_ text: String, path: String) throws -> Tensor {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else {
            throw EdgePruneError(.input, "'\(path)' is not valid JSON")
        }
        var shape: [Int] = []
        var probe: Any = obj
        while let a = probe as? [Any] { shape.append(a.count); guard let f = a.first else { break }; probe = f }
        var values: [Float] = []
        func walk(_ v: Any, _ depth: Int) throws {
            if depth == shape.count {
                guard let n = v as? NSNumber else { throw EdgePruneError(.input, "'\(path)': non-numeric value in the array") }
                values.append(n.floatValue)
                return
            }
            guard let a = v as? [Any], a.count == shape[depth] else {
                throw EdgePruneError(.input, "'\(path)': ragged array at depth \(depth)")
            }
            for x in a { try walk(x, depth + 1) }
        }
        try walk(obj, 0)
        return Tensor(values, shape: shape)
    }

    /// Reshapes [batch, flat] or [per-sample...] data to the model's input shape and converts ints.
    static func fit(_ t: Tensor, to info: ValueInfo, path: String) throws -> Tensor {
        var t = t
        if t.dtype != info.dtype {
            let converted = Tensor(zeros: TensorType(info.dtype, t.shape))
            let node = Node(name: "input-cast", opType: "Cast", inputs: ["x"], outputs: ["y"], attributes: ["to": .int(Int(info.dtype.rawValue))])
            let out = try OpEvaluator.evaluate(node, opset: 13, inputs: [t])[0]
            converted.raw.copyMemory(from: out.raw, byteCount: out.byteCount)
            t = converted
        }
        if t.rank == info.dims.count { return t }
        let sample = info.dims.dropFirst().map { d -> Int? in if case .fixed(let n) = d { return n }; return nil }
        guard sample.allSatisfy({ $0 != nil }) else { return t }
        guard let perSample = Shape.elementCount(sample.map { $0! }) else {
            throw EdgePruneError(.input, "input '\(info.name)' \(info.shapeDescription) has an invalid per-sample size")
        }
        if t.rank >= 1, perSample > 0, t.count % perSample == 0, t.rank == 1 || t.count / t.shape[0] == perSample {
            let batch = t.rank == 1 ? t.count / perSample : t.shape[0]
            return t.reshaped([batch] + sample.map { $0! })
        }
        throw EdgePruneError(.input, "'\(path)' has shape \(Shape.describe(t.shape)); input '\(info.name)' expects \(info.shapeDescription)")
    }
}
