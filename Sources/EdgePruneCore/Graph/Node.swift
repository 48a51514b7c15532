/// One operation of the graph. Inputs and outputs are value names; an empty input name marks an
/// absent optional input (ONNX convention).
public struct Node: Sendable {
    public var name: String
    public var opType: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: Attribute]

    public init(name: String, opType: String, inputs: [String], outputs: [String],
                attributes: [String: Attribute] = [:]) {
        self.name = name
        self.opType = opType
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    /// "Conv 'conv1'" — how errors name a node.
    public var label: String { name.isEmpty ? "\(opType) node producing '\(outputs.first ?? "?")'" : "\(opType) '\(name)'" }

    public func int(_ key: String) -> Int? {
        if case .int(let v)? = attributes[key] { return v }
        return nil
    }
    public func float(_ key: String) -> Float? {
        switch attributes[key] {
        case .float(let v)?: return v
        case .int(let v)?: return Float(v)
        default: return nil
        }
    }
    public func string(_ key: String) -> String? {
        if case .string(let v)? = attributes[key] { return v }
        return nil
    }
    public func ints(_ key: String) -> [Int]? {
        switch attributes[key] {
        case .ints(let v)?: return v
        case .int(let v)?: return [v]
        default: return nil
        }
    }
    public func floats(_ key: String) -> [Float]? {
        switch attributes[key] {
        case .floats(let v)?: return v
        case .float(let v)?: return [v]
        default: return nil
        }
    }
    public func tensor(_ key: String) -> Tensor? {
        if case .tensor(let v)? = attributes[key] { return v }
        return nil
    }
}
