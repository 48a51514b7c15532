import EdgePruneCore

/// The layout of one channel in an IIO buffer record, from `scan_elements/in_<id>_type`:
/// `[be|le]:[s|u]<bits>/<storagebits>[X<repeat>]>><shift>`, e.g. "le:s12/16>>4" (a 12-bit
/// signed value in a little-endian 16-bit word, 4 bits up from the bottom).
public struct IIOScanType: Equatable, Sendable {
    public var bigEndian: Bool
    public var signed: Bool
    /// Significant bits (`realbits`).
    public var bits: Int
    /// Bits the value occupies in the record: 8, 16, 32 or 64.
    public var storageBits: Int
    public var shift: Int
    /// Values stored back to back for this channel (the `X<n>` form); 1 usually.
    public var repeatCount: Int

    public var storageBytes: Int { storageBits / 8 }

    public init(bigEndian: Bool, signed: Bool, bits: Int, storageBits: Int, shift: Int, repeatCount: Int = 1) {
        self.bigEndian = bigEndian
        self.signed = signed
        self.bits = bits
        self.storageBits = storageBits
        self.shift = shift
        self.repeatCount = repeatCount
    }

    public init(parsing text: String, where place: String) throws {
        func bad(_ why: String) -> EdgePruneError {
            EdgePruneError(.format, "'\(place)' holds '\(text.prefix(40))': \(why) (expected e.g. le:s12/16>>4)")
        }
        let t = text.trimmed(where: { $0.isWhitespace })
        guard let colon = t.firstIndex(of: ":") else { throw bad("no endianness") }
        switch t[..<colon] {
        case "le": bigEndian = false
        case "be": bigEndian = true
        default: throw bad("endianness must be le or be")
        }
        var rest = t[t.index(after: colon)...]
        guard let sign = rest.first, sign == "s" || sign == "u" else { throw bad("sign must be s or u") }
        signed = sign == "s"
        rest = rest.dropFirst()
        guard let slash = rest.firstIndex(of: "/"), let b = Int(rest[..<slash]) else { throw bad("no bit count") }
        rest = rest[rest.index(after: slash)...]
        guard let gt = rest.firstIndex(of: ">"), rest[rest.index(after: gt)...].first == ">",
              let s = Int(rest[rest.index(gt, offsetBy: 2)...]) else { throw bad("no >>shift") }
        let storage = rest[..<gt]
        var r = 1
        let sb: Int?
        if let x = storage.firstIndex(of: "X") {
            sb = Int(storage[..<x])
            guard let n = Int(storage[storage.index(after: x)...]), n >= 1, n <= 64 else { throw bad("bad repeat count") }
            r = n
        } else {
            sb = Int(storage)
        }
        guard let sb, [8, 16, 32, 64].contains(sb) else { throw bad("storage bits must be 8, 16, 32 or 64") }
        guard b >= 1, s >= 0, b + s <= sb else { throw bad("\(b) bits shifted by \(s) do not fit in \(sb) storage bits") }
        bits = b
        storageBits = sb
        shift = s
        repeatCount = r
    }

    /// The value at `p`: read storageBits in the given endianness, shift right, keep `bits`
    /// bits, sign-extend when signed. (An unsigned 64-bit value above Int64.max wraps; no IIO
    /// driver reports one.)
    public func decode(_ p: UnsafeRawPointer) -> Int64 {
        var word: UInt64 = 0
        let n = storageBytes
        for i in 0..<n {
            let byte = UInt64(p.load(fromByteOffset: bigEndian ? i : n - 1 - i, as: UInt8.self))
            word = word << 8 | byte
        }
        word >>= UInt64(shift)
        if bits < 64 { word &= (UInt64(1) << UInt64(bits)) - 1 }
        if signed && bits < 64 && word & (UInt64(1) << UInt64(bits - 1)) != 0 {
            word |= ~((UInt64(1) << UInt64(bits)) - 1)
        }
        return Int64(bitPattern: word)
    }
}

/// One enabled channel of a buffered IIO device and where it sits in a record.
public struct IIOScanElement: Equatable, Sendable {
    /// "accel_x", "timestamp".
    public var id: String
    /// The scan index (`in_<id>_index`): record order.
    public var index: Int
    public var type: IIOScanType
    public var byteOffset: Int
    /// (raw + offset) * scale from the sysfs attributes (1 and 0 when absent; the timestamp
    /// channel keeps nanoseconds).
    public var scale: Double
    public var offset: Double
}

/// The record layout of an IIO buffer: enabled channels in scan-index order, each aligned to
/// its own size (storage bytes times repeat), the record padded to its largest element, as
/// the kernel's iio_compute_scan_bytes does.
public struct IIOScanLayout: Equatable, Sendable {
    public let elements: [IIOScanElement]
    public let recordBytes: Int

    public init(elements unordered: [IIOScanElement]) throws {
        var elements = unordered.sorted { $0.index < $1.index }
        guard !elements.isEmpty else { throw EdgePruneError(.input, "an IIO buffer needs at least one enabled channel") }
        var bytes = 0, largest = 1
        for i in elements.indices {
            let size = elements[i].type.storageBytes * elements[i].type.repeatCount
            let align = size & (size - 1) == 0 ? size : elements[i].type.storageBytes
            bytes = (bytes + align - 1) / align * align
            elements[i].byteOffset = bytes
            bytes += size
            largest = max(largest, align)
        }
        recordBytes = (bytes + largest - 1) / largest * largest
        self.elements = elements
    }

    /// Converted values of every element (repeats expanded) of the record at `p`.
    public func decode(_ p: UnsafeRawPointer, into values: inout [Double]) {
        values.removeAll(keepingCapacity: true)
        for e in elements {
            for k in 0..<e.type.repeatCount {
                let raw = Double(e.type.decode(p + e.byteOffset + k * e.type.storageBytes))
                values.append((raw + e.offset) * e.scale)
            }
        }
    }
}
