import EdgePruneDaemon

/// The body of POST /feedback: one label `{"id": N, "label": K}` or several
/// `{"labels": [{"id": N, "label": K}, ...]}`. `id` is an inference id (a non-negative integer),
/// `label` the true class (an integer, possibly negative: the daemon refuses out-of-range
/// classes, counting them). Unknown keys are errors, so a typo is not silently ignored. Errors
/// are one line starting with `feedback:` and name the offending path (`labels[2].id`) or, for
/// a syntax error, the line and column.
enum FeedbackBody {
    static let shape = #"expected {"id": N, "label": K} or {"labels": [{"id": N, "label": K}, ...]}"#

    static func parse(_ bytes: [UInt8]) throws(APIError) -> [FeedbackLabel] {
        guard bytes.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else {
            throw bad("the body is empty; \(shape)")
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes)
        } catch {
            throw bad("the body is not valid JSON (\(error)); \(shape)")
        }
        guard case .object(let members) = document else {
            throw bad("the body is \(document.kindDescription), not an object; \(shape)")
        }
        let keys = members.map(\.key)
        if keys.contains("labels") {
            try checkKeys(keys, allowed: ["labels"], at: "")
            guard case .array(let items) = members[0].value else {
                throw bad("labels must be an array of {\"id\": N, \"label\": K}, not \(members[0].value.kindDescription)")
            }
            var labels: [FeedbackLabel] = []
            labels.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                labels.append(try label(item, at: "labels[\(index)]"))
            }
            return labels
        }
        if keys.isEmpty { throw bad("the object is empty; \(shape)") }
        if !keys.contains("id") && !keys.contains("label") { throw bad("unknown key '\(keys[0])'; \(shape)") }
        return [try label(document, at: "")]
    }

    private static func bad(_ message: String) -> APIError {
        APIError(.badRequest, "feedback: \(message)")
    }

    private static func checkKeys(_ keys: [String], allowed: Set<String>, at path: String) throws(APIError) {
        if let unknown = keys.first(where: { !allowed.contains($0) }) {
            throw bad("unknown key '\(unknown)'\(path.isEmpty ? "" : " in \(path)"); \(shape)")
        }
    }

    /// `{"id": N, "label": K}` at `path` ("" for the top level).
    private static func label(_ value: JSONValue, at path: String) throws(APIError) -> FeedbackLabel {
        guard case .object(let members) = value else {
            throw bad("\(path) must be an object {\"id\": N, \"label\": K}, not \(value.kindDescription)")
        }
        try checkKeys(members.map(\.key), allowed: ["id", "label"], at: path)
        let prefix = path.isEmpty ? "" : path + "."
        func member(_ key: String) throws(APIError) -> JSONValue {
            guard let v = members.first(where: { $0.key == key })?.value else {
                throw bad("\(prefix)\(key) is missing; \(shape)")
            }
            return v
        }
        let idValue = try member("id")
        guard case .number(let idText) = idValue, let id = UInt64(idText) else {
            throw bad("\(prefix)id must be a non-negative integer (an inference id), not \(idValue.kindDescription)")
        }
        let labelValue = try member("label")
        guard case .number(let labelText) = labelValue, let label = Int(labelText) else {
            throw bad("\(prefix)label must be an integer (a class index), not \(labelValue.kindDescription)")
        }
        return FeedbackLabel(id: id, label: label)
    }
}
