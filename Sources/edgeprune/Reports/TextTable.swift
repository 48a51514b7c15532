import Foundation

/// A plain-text table: a header row and data rows, columns padded to their widest cell; columns
/// whose cells all look numeric are right-aligned, the rest (and those named in `leftAligned`)
/// left-aligned.
struct TextTable {
    let headers: [String]
    let leftAligned: Set<Int>
    private(set) var rows: [[String]] = []

    init(_ headers: [String], leftAligned: Set<Int> = []) {
        self.headers = headers
        self.leftAligned = leftAligned
    }

    mutating func add(_ row: [String]) {
        precondition(row.count == headers.count, "row has \(row.count) cells for \(headers.count) columns")
        rows.append(row)
    }

    func render(indent: String = "") -> String {
        var widths = headers.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        let numeric = headers.indices.map { i in
            !leftAligned.contains(i) && !rows.isEmpty && rows.allSatisfy { TextTable.looksNumeric($0[i]) }
        }
        func line(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { i, c -> String in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return numeric[i] ? pad + c : c + pad
            }
            return indent + padded.joined(separator: "  ").replacingTrailingSpaces()
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }

    /// Numbers with optional units/suffixes ("98.89%", "1.62x", "12.3", "-", "4.1 KiB").
    static func looksNumeric(_ s: String) -> Bool {
        guard let first = s.first else { return true }
        return s == "-" || first.isNumber || (first == "-" && s.dropFirst().first?.isNumber == true)
    }
}

extension String {
    func replacingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}

/// Number formatting shared by the eval and profile reports.
enum Fmt {
    static func percent(_ v: Double, digits: Int = 2) -> String { String(format: "%.\(digits)f%%", 100 * v) }
    static func fixed(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }
    static func micros(_ v: Double) -> String { v >= 100 ? String(format: "%.0f", v) : String(format: "%.1f", v) }
    static func ratio(_ v: Double) -> String { String(format: "%.2fx", v) }

    static func bytes(_ n: Int) -> String {
        if n < 10 * 1024 { return "\(n) B" }
        if n < 10 * 1024 * 1024 { return String(format: "%.1f KiB", Double(n) / 1024) }
        return String(format: "%.1f MiB", Double(n) / 1048576)
    }

    /// 1234567 → "1.23M", 34567 → "34.6k", small numbers as they are.
    static func count(_ n: Int) -> String {
        let v = Double(n)
        if abs(v) >= 1e9 { return String(format: "%.2fG", v / 1e9) }
        if abs(v) >= 1e6 { return String(format: "%.2fM", v / 1e6) }
        if abs(v) >= 1e4 { return String(format: "%.1fk", v / 1e3) }
        return String(n)
    }
}
