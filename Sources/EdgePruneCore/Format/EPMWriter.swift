/// Writes a Graph as an .epm file, atomically.
public enum EPMWriter {
    public static func write(_ graph: Graph, to path: String) throws {
        let (graphSection, tensors) = encodeGraph(graph)
        // Optional and extra sections sit between the graph section and the data section.
        var extras: [(EPMFormat.SectionKind, UInt32, [UInt8])] = []
        if let ladder = graph.ladder {
            extras.append((.ladder, EPMFormat.sectionOptional, EPMLadderCodec.encode(ladder)))
            // Required: a reader that ignored recovered level weights would run other weights.
            if !ladder.levelWeights.isEmpty { extras.append((.levelWeights, 0, EPMLevelWeightsCodec.encode(ladder))) }
        }
        // Layout: header | section table | graph section | extra sections | pad | data section.
        let sectionCount = 2 + extras.count
        let tableOffset = EPMFormat.headerSize
        let graphOffset = tableOffset + sectionCount * EPMFormat.sectionEntrySize
        var sections: [(EPMFormat.SectionKind, UInt32, Int, [UInt8])] = [(.graph, 0, graphOffset, graphSection)]
        var next = graphOffset + graphSection.count
        for (kind, flags, bytes) in extras {
            sections.append((kind, flags, next, bytes))
            next += bytes.count
        }
        let dataOffset = align(next)
        var dataLength = 0
        for t in tensors { dataLength = align(dataLength) + t.byteCount }
        let fileSize = dataOffset + dataLength

        // Data section bytes are checksummed as they are laid out.
        var data = [UInt8](repeating: 0, count: dataLength)
        var cursor = 0
        data.withUnsafeMutableBytes { dst in
            for t in tensors {
                cursor = align(cursor)
                if t.byteCount > 0 { (dst.baseAddress! + cursor).copyMemory(from: t.raw, byteCount: t.byteCount) }
                cursor += t.byteCount
            }
        }
        sections.append((.data, 0, dataOffset, data))
        var table = BinaryWriter()
        for (kind, flags, offset, bytes) in sections {
            table.u32(kind.rawValue)
            table.u32(flags)
            table.u64(UInt64(offset))
            table.u64(UInt64(bytes.count))
            table.u32(CRC32.checksum(bytes))
            table.u32(0)
        }
        var header = BinaryWriter()
        header.bytes += EPMFormat.magic
        header.bytes += withUnsafeBytes(of: EPMFormat.majorVersion.littleEndian) { Array($0) }
        header.bytes += withUnsafeBytes(of: EPMFormat.minorVersion.littleEndian) { Array($0) }
        header.u32(0)
        header.u32(UInt32(sectionCount))
        header.u32(CRC32.checksum(table.bytes))
        header.u64(UInt64(tableOffset))
        header.u64(UInt64(fileSize))
        header.pad(to: EPMFormat.headerSize)

        var file = header.bytes + table.bytes + graphSection + extras.flatMap(\.2)
        file += [UInt8](repeating: 0, count: dataOffset - file.count)
        try FileIO.writeAtomically(path) { fd in
            try FileIO.writeAll(fd, file, path: path)
            try FileIO.writeAll(fd, data, path: path)
        }
    }

    static func align(_ n: Int) -> Int { (n + EPMFormat.dataAlignment - 1) / EPMFormat.dataAlignment * EPMFormat.dataAlignment }

    /// Bytes of one tensor in the data section (dense elements or a csr blob).
    struct StoredTensor {
        let encoding: EPMFormat.TensorEncoding
        let buffer: Buffer
        var raw: UnsafeMutableRawPointer { buffer.raw }
        var byteCount: Int { buffer.byteCount }
    }

    /// f32 weights of rank >= 2 with enough zeros go out as csr blobs; everything else dense.
    static func stored(_ t: Tensor) -> StoredTensor {
        if t.dtype == .float32, t.rank >= 2, let csr = LinearFormats.kernel(format: "csr") {
            let rows = t.shape[0], cols = t.shape.dropFirst().reduce(1, *)
            let w = t.pointer(as: Float.self)
            if rows > 0, cols > 0,
               LinearFormats.zeroFraction(rows: rows, cols: cols, w: w, rs: cols, cs: 1) >= EPMFormat.csrMinimumZeroFraction,
               let blob = LinearFormats.pack(csr, rows: rows, cols: cols, w: w, rs: cols, cs: 1), blob.byteCount < t.byteCount {
                return StoredTensor(encoding: .csr, buffer: blob)
            }
        }
        return StoredTensor(encoding: .dense, buffer: t.buffer)
    }

    /// The graph section, and the initializers in data-section order.
    static func encodeGraph(_ g: Graph) -> ([UInt8], [StoredTensor]) {
        var w = BinaryWriter()
        w.u32(UInt32(g.opset))
        w.string(g.name)
        w.count(g.metadata.count)
        for (k, v) in g.metadata.sorted(by: { $0.key < $1.key }) { w.string(k); w.string(v) }
        for list in [g.inputs, g.outputs] {
            w.count(list.count)
            for v in list {
                w.string(v.name)
                w.u32(UInt32(v.dtype.rawValue))
                w.count(v.dims.count)
                for d in v.dims {
                    switch d {
                    case .fixed(let n): w.u8(0); w.i64(n)
                    case .symbolic(let s): w.u8(1); w.string(s)
                    }
                }
            }
        }
        let names = g.initializers.keys.sorted()
        let tensors = names.map { stored(g.initializers[$0]!) }
        w.count(names.count)
        var offset = 0
        for (name, st) in zip(names, tensors) {
            let t = g.initializers[name]!
            offset = align(offset)
            w.string(name)
            w.u32(UInt32(t.dtype.rawValue))
            w.count(t.rank)
            for d in t.shape { w.i64(d) }
            w.u32(st.encoding.rawValue)
            w.u64(UInt64(offset))
            w.u64(UInt64(st.byteCount))
            offset += st.byteCount
        }
        w.count(g.nodes.count)
        for n in g.nodes {
            w.string(n.name)
            w.string(n.opType)
            w.count(n.inputs.count)
            n.inputs.forEach { w.string($0) }
            w.count(n.outputs.count)
            n.outputs.forEach { w.string($0) }
            w.count(n.attributes.count)
            for (key, a) in n.attributes.sorted(by: { $0.key < $1.key }) {
                w.string(key)
                switch a {
                case .int(let v): w.u8(EPMFormat.attrInt); w.i64(v)
                case .float(let v): w.u8(EPMFormat.attrFloat); w.f32(v)
                case .string(let v): w.u8(EPMFormat.attrString); w.string(v)
                case .ints(let v): w.u8(EPMFormat.attrInts); w.count(v.count); v.forEach { w.i64($0) }
                case .floats(let v): w.u8(EPMFormat.attrFloats); w.count(v.count); v.forEach { w.f32($0) }
                case .strings(let v): w.u8(EPMFormat.attrStrings); w.count(v.count); v.forEach { w.string($0) }
                case .tensor(let t):
                    w.u8(EPMFormat.attrTensor)
                    w.u32(UInt32(t.dtype.rawValue))
                    w.count(t.rank)
                    for d in t.shape { w.i64(d) }
                    w.u64(UInt64(t.byteCount))
                    w.raw(t.raw, t.byteCount)
                }
            }
        }
        return (w.bytes, tensors)
    }
}
