/// Parsing of one sample from text: numbers separated by commas, spaces, tabs or semicolons,
/// e.g. "0.1, 0.2,0.3" or "0.1 0.2 0.3". Used by stdin lines, UDP text datagrams and CSV rows.
public enum SampleText {
    /// The values on `line`, or nil when a field is not a finite number or the line is empty.
    /// A trailing carriage return (CRLF input) is ignored.
    public static func parse<S: StringProtocol>(_ line: S) -> [Float]? {
        var values: [Float] = []
        for field in line.split(whereSeparator: isSeparator) {
            guard let v = Float(field), v.isFinite else { return nil }
            values.append(v)
        }
        return values.isEmpty ? nil : values
    }

    /// The fields on `line` as written, for error messages and header detection.
    public static func fields<S: StringProtocol>(_ line: S) -> [Substring] {
        String(line).split(whereSeparator: isSeparator)
    }

    static func isSeparator(_ c: Character) -> Bool {
        c == "," || c == " " || c == "\t" || c == ";" || c == "\r"
    }

    /// Splits a byte buffer into complete lines; the bytes after the last newline stay in
    /// `buffer` for the next call.
    static func takeLines(from buffer: inout [UInt8]) -> [String] {
        guard let last = buffer.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        let lines = buffer[..<last].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        buffer.removeSubrange(...last)
        return lines
    }
}
