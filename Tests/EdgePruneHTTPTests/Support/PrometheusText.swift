import Foundation

/// A strict reader of the Prometheus text exposition format 0.0.4, enough to check that what
/// the server sends is parseable: `# HELP name text`, `# TYPE name type`, and samples
/// `name{label="value",...} value` with a float value (NaN and ±Inf included).
struct PrometheusText {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    var samples: [Sample] = []
    var types: [String: String] = [:]
    var help: [String: String] = [:]

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    static func parse(_ text: String) throws -> PrometheusText {
        var out = PrometheusText()
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(rawLine)
            let fail = { (why: String) in ParseError(description: "line \(n + 1) '\(line)': \(why)") }
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
                guard parts.count >= 3 else { continue }
                switch parts[1] {
                case "TYPE":
                    guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                        throw fail("bad TYPE line")
                    }
                    guard out.types[parts[2]] == nil else { throw fail("second TYPE for \(parts[2])") }
                    out.types[parts[2]] = parts[3]
                case "HELP":
                    out.help[parts[2]] = parts.count == 4 ? parts[3] : ""
                default: break
                }
                continue
            }
            var i = line.startIndex
            while i < line.endIndex, line[i].isLetter || line[i].isNumber || line[i] == "_" || line[i] == ":" { i = line.index(after: i) }
            let name = String(line[..<i])
            guard let first = name.first, first.isLetter || first == "_" || first == ":" else { throw fail("bad metric name") }
            var labels: [String: String] = [:]
            if i < line.endIndex, line[i] == "{" {
                i = line.index(after: i)
                while line[i] != "}" {
                    let keyStart = i
                    while line[i] != "=" {
                        guard line[i].isLetter || line[i].isNumber || line[i] == "_" else { throw fail("bad label name") }
                        i = line.index(after: i)
                    }
                    let key = String(line[keyStart..<i])
                    i = line.index(after: i)
                    guard line[i] == "\"" else { throw fail("label value not quoted") }
                    i = line.index(after: i)
                    var value = ""
                    while line[i] != "\"" {
                        if line[i] == "\\" {
                            i = line.index(after: i)
                            switch line[i] {
                            case "n": value.append("\n")
                            case "\\": value.append("\\")
                            case "\"": value.append("\"")
                            default: throw fail("bad escape")
                            }
                        } else {
                            value.append(line[i])
                        }
                        i = line.index(after: i)
                    }
                    i = line.index(after: i)
                    labels[key] = value
                    if line[i] == "," { i = line.index(after: i) }
                }
                i = line.index(after: i)
            }
            guard i < line.endIndex, line[i] == " " else { throw fail("no space before the value") }
            let fields = line[line.index(after: i)...].split(separator: " ")
            guard fields.count == 1 || fields.count == 2 else { throw fail("bad value/timestamp") }
            let valueText = String(fields[0])
            let value: Double
            switch valueText.lowercased() {
            case "nan": value = .nan
            case "+inf", "inf": value = .infinity
            case "-inf": value = -.infinity
            default:
                guard let v = Double(valueText) else { throw fail("value '\(valueText)' is not a float") }
                value = v
            }
            out.samples.append(Sample(name: name, labels: labels, value: value))
        }
        return out
    }
}
