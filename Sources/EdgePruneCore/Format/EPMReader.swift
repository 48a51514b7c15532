import CEdgeKernels
/// Loads an .epm file through mmap: initializers borrow the mapped bytes (no copy). Every field
/// is bounds-checked and every section's CRC verified, so a malformed file yields one clear error.
public enum EPMReader {
    public static func isEPM(_ path: String) -> Bool {
        guard let bytes = try? MappedFile(path: path), bytes.size >= 8 else { return false }
        return Array(bytes.bytes[0..<8]) == EPMFormat.magic
    }

    public static func load(_ path: String, limits: PlanLimits = PlanLimits()) throws -> Graph {
        let file = try MappedFile(path: path)
        do {
            return try decode(file, limits: limits)
        } catch let e as EdgePruneError {
            throw EdgePruneError(e.kind, "'\(path)': \(e.message)")
        }
    }

    static func decode(_ file: MappedFile, limits: PlanLimits) throws -> Graph {
        let bytes = file.bytes
        guard bytes.count >= EPMFormat.headerSize else { throw EdgePruneError(.format, "too short for an .epm header (\(bytes.count) bytes)") }
        guard Array(bytes[0..<8]) == EPMFormat.magic else { throw EdgePruneError(.format, "not an .epm file (bad magic)") }
        var h = BinaryReader(bytes, from: 8, to: EPMFormat.headerSize, context: "header")
        let version = try h.u32("version")
        let major = UInt16(version & 0xFFFF)
        guard major == EPMFormat.majorVersion else {
            throw EdgePruneError(.format, "unsupported .epm major version \(major) (this build reads \(EPMFormat.majorVersion))")
        }
        _ = try h.u32("flags")
        let sections = Int(try h.u32("section count"))
        let tableCRC = try h.u32("table checksum")
        let tableOffset = Int(clamping: try h.u64("table offset"))
        let fileSize = try h.u64("file size")
        guard fileSize == UInt64(bytes.count) else {
            throw EdgePruneError(.format, "file size \(bytes.count) does not match the header's \(fileSize) (truncated or extended)")
        }
        guard sections <= 64, tableOffset >= EPMFormat.headerSize,
              tableOffset <= bytes.count - sections * EPMFormat.sectionEntrySize else {
            throw EdgePruneError(.format, "section table (\(sections) entries at \(tableOffset)) lies outside the file")
        }
        let tableBytes = UnsafeRawBufferPointer(rebasing: bytes[tableOffset..<(tableOffset + sections * EPMFormat.sectionEntrySize)])
        guard CRC32.checksum(tableBytes) == tableCRC else { throw EdgePruneError(.format, "section table checksum mismatch") }
        var t = BinaryReader(bytes, from: tableOffset, to: tableOffset + tableBytes.count, context: "section table")
        var graphRange: Range<Int>? = nil, dataRange: Range<Int>? = nil, ladderRange: Range<Int>? = nil,
            levelWeightsRange: Range<Int>? = nil
        for i in 0..<sections {
            let kind = try t.u32("kind"), flags = try t.u32("flags")
            let off = try t.u64("offset"), len = try t.u64("length")
            let crc = try t.u32("checksum")
            _ = try t.u32("reserved")
            guard off <= UInt64(bytes.count), len <= UInt64(bytes.count) - off else {
                throw EdgePruneError(.format, "section \(i) (kind \(kind)) at \(off)+\(len) lies outside the file")
            }
            let range = Int(off)..<Int(off + len)
            switch EPMFormat.SectionKind(rawValue: kind) {
            case .graph?: graphRange = range
            case .data?: dataRange = range
            case .ladder?: ladderRange = range
            case .levelWeights?: levelWeightsRange = range
            case nil:
                guard flags & EPMFormat.sectionOptional != 0 else {
                    throw EdgePruneError(.format, "section \(i) has unknown required kind \(kind) (written by a newer EdgePrune?)")
                }
                continue
            }
            guard CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[range])) == crc else {
                throw EdgePruneError(.format, "checksum mismatch in the \(EPMFormat.SectionKind(rawValue: kind).map { "\($0)" } ?? "kind \(kind)") section")
            }
        }
        guard let graphRange, let dataRange else { throw EdgePruneError(.format, "missing graph or data section") }
        var graph = try decodeGraph(file, graphRange, dataRange, limits)
        if let ladderRange { graph.ladder = try EPMLadderCodec.decode(bytes, ladderRange, graph: graph) }
        if let levelWeightsRange {
            guard var ladder = graph.ladder else { throw EdgePruneError(.format, "level-weights section without a ladder section") }
            ladder.levelWeights = try EPMLevelWeightsCodec.decode(bytes, levelWeightsRange)
            try ladder.validate(against: graph)
            graph.ladder = ladder
        }
        return graph
    }

    private static func dtype(_ code: UInt32, _ what: String) throws -> DType {
        guard let d = DType(rawValue: Int32(bitPattern: code)) else { throw EdgePruneError(.format, "\(what) has unknown element type \(code)") }
        return d
    }

    /// A csr-encoded weight: validated like any untrusted blob, then loaded dense.
    private static func decodeCSR(_ blob: UnsafeRawPointer, byteCount: Int, type: TensorType, name: String) throws -> Tensor {
        guard type.dtype == .float32, type.shape.count >= 2 else {
            throw EdgePruneError(.format, "tensor '\(name)' is csr-encoded but is \(type), not an f32 tensor of rank >= 2")
        }
        guard let csr = LinearFormats.kernel(format: "csr") else {
            throw EdgePruneError(.unsupported, "tensor '\(name)' is csr-encoded and this build has no csr format")
        }
        let rows = type.shape[0], cols = type.shape.dropFirst().reduce(1, *)
        try LinearFormats.validate(csr.pointee.format, blob, size: byteCount, rows: rows, cols: cols,
                                   what: "tensor '\(name)'")
        let buffer = Buffer(byteCount: type.byteCount)
        ep_f32_linear_csr_unpack(blob, buffer.raw.assumingMemoryBound(to: Float.self))
        return Tensor(type: type, buffer: buffer)
    }

    private static func dims(_ r: inout BinaryReader, _ what: String, limits: PlanLimits, dtype: DType) throws -> [Int] {
        let rank = try r.count("\(what) rank", minItemBytes: 8)
        guard rank <= 16 else { throw EdgePruneError(.format, "\(what) has rank \(rank) (at most 16)") }
        var shape: [Int] = []
        for _ in 0..<rank { shape.append(try r.i64("\(what) dimension")) }
        guard let n = Shape.elementCount(shape), n.multipliedReportingOverflow(by: dtype.byteSize).partialValue <= limits.maxTensorBytes,
              !n.multipliedReportingOverflow(by: dtype.byteSize).overflow else {
            throw EdgePruneError(.limit, "\(what) shape \(Shape.describe(shape)) is negative, overflows or exceeds the \(limits.maxTensorBytes)-byte tensor limit")
        }
        return shape
    }

    private static func decodeGraph(_ file: MappedFile, _ gr: Range<Int>, _ dr: Range<Int>, _ limits: PlanLimits) throws -> Graph {
        var r = BinaryReader(file.bytes, from: gr.lowerBound, to: gr.upperBound, context: "graph section")
        var g = Graph()
        g.opset = Int(try r.u32("opset"))
        g.name = try r.string("graph name")
        for _ in 0..<(try r.count("metadata", minItemBytes: 8)) {
            let k = try r.string("metadata key")
            g.metadata[k] = try r.string("metadata value")
        }
        for isInput in [true, false] {
            let what = isInput ? "input" : "output"
            var list: [ValueInfo] = []
            for _ in 0..<(try r.count("\(what)s", minItemBytes: 12)) {
                let name = try r.string("\(what) name")
                let dt = try dtype(try r.u32("\(what) type"), "\(what) '\(name)'")
                var dims: [Dim] = []
                for _ in 0..<(try r.count("\(what) rank", minItemBytes: 2)) {
                    switch try r.u8("dimension kind") {
                    case 0: dims.append(.fixed(try r.i64("dimension")))
                    case 1: dims.append(.symbolic(try r.string("dimension name")))
                    case let k: throw EdgePruneError(.format, "\(what) '\(name)' has unknown dimension kind \(k)")
                    }
                }
                list.append(ValueInfo(name: name, dtype: dt, dims: dims))
            }
            if isInput { g.inputs = list } else { g.outputs = list }
        }
        for _ in 0..<(try r.count("tensors", minItemBytes: 28)) {
            let name = try r.string("tensor name")
            let dt = try dtype(try r.u32("tensor type"), "tensor '\(name)'")
            let shape = try dims(&r, "tensor '\(name)'", limits: limits, dtype: dt)
            let code = try r.u32("tensor encoding")
            guard let encoding = EPMFormat.TensorEncoding(rawValue: code) else {
                throw EdgePruneError(.format, "tensor '\(name)' uses unknown encoding \(code)")
            }
            let off = try r.u64("tensor offset"), len = try r.u64("tensor length")
            let type = TensorType(dt, shape)
            guard encoding == .csr || len == UInt64(type.byteCount) else {
                throw EdgePruneError(.format, "tensor '\(name)' stores \(len) bytes, its shape \(type) needs \(type.byteCount)")
            }
            guard off <= UInt64(dr.count), len <= UInt64(dr.count) - off else {
                throw EdgePruneError(.format, "tensor '\(name)' data at \(off)+\(len) lies outside the data section")
            }
            let absolute = dr.lowerBound + Int(off)
            guard absolute % EPMFormat.dataAlignment == 0 else {
                throw EdgePruneError(.format, "tensor '\(name)' data at file offset \(absolute) is not \(EPMFormat.dataAlignment)-byte aligned")
            }
            if encoding == .csr {
                g.initializers[name] = try decodeCSR(file.base + absolute, byteCount: Int(len), type: type, name: name)
                continue
            }
            let buffer = Buffer(borrowing: file.base + absolute, byteCount: Int(len), owner: file)
            g.initializers[name] = Tensor(type: type, buffer: buffer)
        }
        for _ in 0..<(try r.count("nodes", minItemBytes: 20)) {
            let name = try r.string("node name")
            let op = try r.string("op type of '\(name)'")
            var inputs: [String] = [], outputs: [String] = []
            for _ in 0..<(try r.count("inputs of '\(name)'", minItemBytes: 4)) { inputs.append(try r.string("input name")) }
            for _ in 0..<(try r.count("outputs of '\(name)'", minItemBytes: 4)) { outputs.append(try r.string("output name")) }
            var attrs: [String: Attribute] = [:]
            for _ in 0..<(try r.count("attributes of '\(name)'", minItemBytes: 5)) {
                let key = try r.string("attribute name")
                let what = "attribute '\(key)' of '\(name)'"
                switch try r.u8(what) {
                case EPMFormat.attrInt: attrs[key] = .int(try r.i64(what))
                case EPMFormat.attrFloat: attrs[key] = .float(try r.f32(what))
                case EPMFormat.attrString: attrs[key] = .string(try r.string(what))
                case EPMFormat.attrInts: attrs[key] = .ints(try (0..<(try r.count(what, minItemBytes: 8))).map { _ in try r.i64(what) })
                case EPMFormat.attrFloats: attrs[key] = .floats(try (0..<(try r.count(what, minItemBytes: 4))).map { _ in try r.f32(what) })
                case EPMFormat.attrStrings: attrs[key] = .strings(try (0..<(try r.count(what, minItemBytes: 4))).map { _ in try r.string(what) })
                case EPMFormat.attrTensor:
                    let dt = try dtype(try r.u32(what), what)
                    let shape = try dims(&r, what, limits: limits, dtype: dt)
                    let type = TensorType(dt, shape), len = try r.u64(what)
                    guard len == UInt64(type.byteCount) else { throw EdgePruneError(.format, "\(what) stores \(len) bytes, needs \(type.byteCount)") }
                    try r.need(type.byteCount, what)
                    let t = Tensor(zeros: type)
                    t.raw.copyMemory(from: file.base + r.offset, byteCount: type.byteCount)
                    r.offset += type.byteCount
                    attrs[key] = .tensor(t)
                case let k: throw EdgePruneError(.format, "\(what) has unknown kind \(k)")
                }
            }
            g.nodes.append(Node(name: name, opType: op, inputs: inputs, outputs: outputs, attributes: attrs))
        }
        return g
    }
}
