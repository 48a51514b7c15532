/// Little-endian binary encoding for the .epm graph section.
struct BinaryWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func i64(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
    mutating func count(_ n: Int) { u32(UInt32(n)) }
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        count(utf8.count)
        bytes += utf8
    }
    mutating func raw(_ p: UnsafeRawPointer, _ n: Int) { bytes += UnsafeRawBufferPointer(start: p, count: n) }
    mutating func pad(to alignment: Int) {
        while bytes.count % alignment != 0 { bytes.append(0) }
    }
}

/// Bounds-checked reader over untrusted bytes: every read that would run past the end throws a
/// format error naming the offset and what was being read.
struct BinaryReader {
    let base: UnsafeRawBufferPointer
    var offset: Int
    let end: Int
    let context: String

    init(_ base: UnsafeRawBufferPointer, from: Int, to: Int, context: String) {
        self.base = base
        offset = from
        end = to
        self.context = context
    }

    var remaining: Int { end - offset }

    mutating func need(_ n: Int, _ what: String) throws {
        guard n >= 0, n <= remaining else {
            throw EdgePruneError(.format, "\(context): truncated at byte \(offset) reading \(what) (\(n) bytes needed, \(remaining) left)")
        }
    }

    mutating func u8(_ what: String) throws -> UInt8 {
        try need(1, what)
        defer { offset += 1 }
        return base[offset]
    }
    mutating func u32(_ what: String) throws -> UInt32 {
        try need(4, what)
        defer { offset += 4 }
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    mutating func u64(_ what: String) throws -> UInt64 {
        try need(8, what)
        defer { offset += 8 }
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    mutating func i64(_ what: String) throws -> Int { Int(Int64(bitPattern: try u64(what))) }
    mutating func f32(_ what: String) throws -> Float { Float(bitPattern: try u32(what)) }
    mutating func f64(_ what: String) throws -> Double { Double(bitPattern: try u64(what)) }

    /// A count of items that each take at least `minItemBytes`: bounded by the bytes left, so a
    /// corrupt count cannot cause a huge allocation or a long loop.
    mutating func count(_ what: String, minItemBytes: Int = 1) throws -> Int {
        let n = Int(try u32(what))
        guard n.multipliedReportingOverflow(by: max(minItemBytes, 1)).partialValue <= remaining || n == 0 else {
            throw EdgePruneError(.format, "\(context): \(what) count \(n) at byte \(offset - 4) exceeds the section")
        }
        return n
    }

    mutating func string(_ what: String) throws -> String {
        let n = try count(what + " length")
        try need(n, what)
        defer { offset += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: base[offset..<(offset + n)]), as: UTF8.self)
    }
}
