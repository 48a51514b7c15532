import Foundation
import XCTest
@testable import EdgePruneCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The .epm format: a full round trip (every attribute kind, every element type, symbolic dims,
/// metadata; initializers borrowed from the mapping, 64-byte aligned) and malformed files, each of
/// which must be rejected with an EdgePruneError (never a crash, a hang or a huge allocation).
final class EPMFormatTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("edgeprune-epm-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    // MARK: - Fixtures

    private static func tensor<T>(_ dtype: DType, _ values: [T], _ shape: [Int]) -> Tensor {
        let t = Tensor(zeros: TensorType(dtype, shape))
        precondition(t.byteCount == values.count * MemoryLayout<T>.stride)
        values.withUnsafeBytes { if $0.count > 0 { t.raw.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        return t
    }

    /// A graph using every feature the format stores. It need not be runnable: the reader does not
    /// validate graph semantics.
    static func sampleGraph() -> Graph {
        var g = Graph(name: "round-trip ✓", opset: 17,
                      metadata: ["producer": "EPMFormatTests 1.0", "classes": "cat,dog,bird", "empty": "", "ünïcödé": "π ≈ 3.14159"])
        g.inputs = [
            ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(4)]),
            ValueInfo(name: "ids", dtype: .int64, dims: [.symbolic(""), .fixed(2), .symbolic("seq_len")]),
            ValueInfo(name: "scalar_in", dtype: .uint8, dims: []),
        ]
        g.outputs = [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("N"), .fixed(3)])]
        g.initializers = [
            "W": Tensor((0..<12).map { Float($0) * 0.25 - 1 }, shape: [3, 4]),
            "bias": Tensor([0.5, -1, .greatestFiniteMagnitude], shape: [3]),
            "idx": Tensor(int64: [1, -2, .max, .min], shape: [4]),
            "bytes_u8": tensor(.uint8, [UInt8](arrayLiteral: 0, 1, 127, 128, 255), [5]),
            "bytes_i8": tensor(.int8, [Int8](arrayLiteral: -128, -1, 0, 1, 2, 3, 127), [7, 1]),
            "ints_i32": tensor(.int32, [Int32](arrayLiteral: .min, 0, .max), [1, 3]),
            "scalar": Tensor([3.25], shape: []),
            "empty": Tensor(zeros: TensorType(.float32, [0, 4])),
            "odd": Tensor((0..<5).map(Float.init), shape: [5]),
        ]
        let attrs: [String: Attribute] = [
            "an_int": .int(-7),
            "big_int": .int(.max),
            "a_float": .float(0.125),
            "nan": .float(.nan),
            "a_string": .string("SAME_UPPER ü"),
            "empty_string": .string(""),
            "ints": .ints([1, -1, .max, .min, 0]),
            "no_ints": .ints([]),
            "floats": .floats([1.5, -0.0, .infinity, -.infinity]),
            "strings": .strings(["a", "", "ß✓"]),
            "tensor": .tensor(Tensor([1, 2, 3, 4], shape: [2, 2])),
            "tensor_i64": .tensor(Tensor(int64: [42], shape: [])),
            "tensor_empty": .tensor(Tensor(zeros: TensorType(.int32, [0]))),
        ]
        g.nodes = [
            Node(name: "fc", opType: "Gemm", inputs: ["x", "W", "bias"], outputs: ["h"], attributes: attrs),
            Node(name: "", opType: "Clip", inputs: ["h", "", "scalar"], outputs: ["y", ""]),
            Node(name: "no_io", opType: "Constant", inputs: [], outputs: [], attributes: ["value": .tensor(Tensor([7], shape: [1]))]),
        ]
        return g
    }

    /// A small runnable graph: y = relu(x · Wᵀ + b).
    static func runnableGraph() -> Graph {
        var g = Graph(name: "runnable", opset: 13)
        g.inputs = [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(4)])]
        g.outputs = [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("N"), .fixed(3)])]
        g.initializers = ["W": Tensor((0..<12).map { Float($0 - 5) / 4 }, shape: [3, 4]), "b": Tensor([0.5, -1, 2], shape: [3])]
        g.nodes = [
            Node(name: "fc", opType: "Gemm", inputs: ["x", "W", "b"], outputs: ["h"], attributes: ["transB": .int(1)]),
            Node(name: "act", opType: "Relu", inputs: ["h"], outputs: ["y"]),
        ]
        return g
    }

    /// Writes with EPMWriter and returns the path and the file's bytes.
    private func writeValid(_ g: Graph = EPMFormatTests.sampleGraph()) throws -> (String, [UInt8]) {
        let path = dir.appendingPathComponent("valid-\(UUID().uuidString).epm").path
        try EPMWriter.write(g, to: path)
        return (path, [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// Loads bytes through a scratch file, overwritten in place for each case (creating,
    /// truncating and deleting thousands of files is slow). Callers drop a loaded graph before the next load, so
    /// no mapping outlives the contents it was made from, except in the round-trip tests, which
    /// use their own files.
    private func load(_ bytes: [UInt8]) throws -> Graph {
        let path = dir.appendingPathComponent("case.epm").path
        let fd = open(path, O_WRONLY | O_CREAT, 0o644)
        guard fd >= 0 else { throw EdgePruneError(.io, "test: cannot create \(path)") }
        defer { close(fd) }
        try FileIO.writeAll(fd, bytes, path: path)
        guard ftruncate(fd, off_t(bytes.count)) == 0 else { throw EdgePruneError(.io, "test: cannot truncate \(path)") }
        return try EPMReader.load(path)
    }

    /// The error loading `bytes` gives; fails if it loads, throws another type, or takes > 1 s.
    @discardableResult
    private func rejection(_ bytes: [UInt8], _ what: String, contains needle: String? = nil,
                           file: StaticString = #filePath, line: UInt = #line) -> EdgePruneError? {
        let t0 = Date()
        defer {
            let dt = Date().timeIntervalSince(t0)
            XCTAssertLessThan(dt, 1, "\(what): took \(dt) s", file: file, line: line)
        }
        do {
            _ = try load(bytes)
            XCTFail("\(what): a malformed file was accepted", file: file, line: line)
            return nil
        } catch let e as EdgePruneError {
            XCTAssertFalse(e.description.contains("\n"), "\(what): multi-line error", file: file, line: line)
            if let needle {
                XCTAssertTrue(e.message.contains(needle), "\(what): '\(e)' does not mention '\(needle)'", file: file, line: line)
            }
            return e
        } catch {
            XCTFail("\(what): \(type(of: error)) instead of EdgePruneError: \(error)", file: file, line: line)
            return nil
        }
    }

    // MARK: - Byte surgery

    private static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * $1) }
    }
    private static func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * $1) }
    }
    private static func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
        for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) }
    }
    private static func put64(_ b: inout [UInt8], _ at: Int, _ v: UInt64) {
        for i in 0..<8 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) }
    }

    struct Section { let kind: UInt32; let flags: UInt32; let offset: Int; let length: Int }

    private static func sections(_ b: [UInt8]) -> [Section] {
        let count = Int(u32(b, 16)), table = Int(u64(b, 24))
        return (0..<count).map { i in
            let e = table + i * EPMFormat.sectionEntrySize
            return Section(kind: u32(b, e), flags: u32(b, e + 4), offset: Int(clamping: u64(b, e + 8)), length: Int(clamping: u64(b, e + 16)))
        }
    }

    private static func graphSection(_ b: [UInt8]) -> Section { sections(b).first { $0.kind == 1 }! }
    private static func dataSection(_ b: [UInt8]) -> Section { sections(b).first { $0.kind == 2 }! }

    /// Recomputes every section checksum and the table checksum, so a patch reaches the decoder.
    static func fixChecksums(_ b: inout [UInt8]) {
        let count = Int(u32(b, 16)), table = Int(u64(b, 24))
        for i in 0..<count {
            let e = table + i * EPMFormat.sectionEntrySize
            let off = Int(clamping: u64(b, e + 8)), len = Int(clamping: u64(b, e + 16))
            if off <= b.count, len <= b.count - off {
                put32(&b, e + 24, CRC32.checksum(Array(b[off..<(off + len)])))
            }
        }
        put32(&b, 20, CRC32.checksum(Array(b[table..<(table + count * EPMFormat.sectionEntrySize)])))
    }

    private static func patched(_ b: [UInt8], fixChecksums fix: Bool = true, _ body: (inout [UInt8]) -> Void) -> [UInt8] {
        var c = b
        body(&c)
        if fix { fixChecksums(&c) }
        return c
    }

    /// Absolute file offsets of fields in the graph section, found by walking it as the reader does.
    struct GraphLayout {
        struct TensorEntry { let name: String; let dims: [Int]; let dimsAt: Int; let encodingAt: Int; let offsetAt: Int; let lengthAt: Int }
        struct AttrTensor { let key: String; let rankAt: Int; let dims: [Int]; let lengthAt: Int }
        var metadataCountAt = 0, tensorCountAt = 0, nodeCountAt = 0
        var tensors: [TensorEntry] = []
        var attrTensors: [AttrTensor] = []
    }

    private static func layout(_ b: [UInt8]) -> GraphLayout {
        let gs = graphSection(b)
        var p = gs.offset
        func r32() -> Int { defer { p += 4 }; return Int(u32(b, p)) }
        func r64() -> Int { defer { p += 8 }; return Int(Int64(bitPattern: u64(b, p))) }
        func str() -> String { let n = r32(); defer { p += n }; return String(decoding: b[p..<(p + n)], as: UTF8.self) }
        var l = GraphLayout()
        _ = r32()
        _ = str()
        l.metadataCountAt = p
        for _ in 0..<r32() { _ = str(); _ = str() }
        for _ in 0..<2 {
            for _ in 0..<r32() {
                _ = str(); _ = r32()
                for _ in 0..<r32() {
                    let kind = b[p]
                    p += 1
                    if kind == 0 { _ = r64() } else { _ = str() }
                }
            }
        }
        l.tensorCountAt = p
        for _ in 0..<r32() {
            let name = str()
            _ = r32()
            let dimsAt = p + 4
            let dims = (0..<r32()).map { _ in r64() }
            let encodingAt = p
            _ = r32()
            let offsetAt = p
            _ = r64()
            let lengthAt = p
            _ = r64()
            l.tensors.append(.init(name: name, dims: dims, dimsAt: dimsAt, encodingAt: encodingAt, offsetAt: offsetAt, lengthAt: lengthAt))
        }
        l.nodeCountAt = p
        for _ in 0..<r32() {
            _ = str(); _ = str()
            for _ in 0..<r32() { _ = str() }
            for _ in 0..<r32() { _ = str() }
            for _ in 0..<r32() {
                let key = str()
                let kind = b[p]
                p += 1
                switch kind {
                case 1: _ = r64()
                case 2: _ = r32()
                case 3: _ = str()
                case 4: for _ in 0..<r32() { _ = r64() }
                case 5: for _ in 0..<r32() { _ = r32() }
                case 6: for _ in 0..<r32() { _ = str() }
                case 7:
                    _ = r32()
                    let rankAt = p
                    let dims = (0..<r32()).map { _ in r64() }
                    let lengthAt = p
                    let len = r64()
                    p += len
                    l.attrTensors.append(.init(key: key, rankAt: rankAt, dims: dims, lengthAt: lengthAt))
                default: fatalError("unknown attribute kind \(kind) in a file EPMWriter wrote")
                }
            }
        }
        precondition(p == gs.offset + gs.length, "layout walk ended at \(p), section ends at \(gs.offset + gs.length)")
        return l
    }

    // MARK: - Comparison

    private func assertSameTensor(_ a: Tensor?, _ b: Tensor?, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let a, let b else { return XCTFail("\(what): missing tensor", file: file, line: line) }
        XCTAssertEqual(a.type, b.type, what, file: file, line: line)
        XCTAssertEqual(a.byteCount, b.byteCount, what, file: file, line: line)
        guard a.byteCount == b.byteCount else { return }
        XCTAssertEqual(memcmp(a.raw, b.raw, a.byteCount), 0, "\(what): bytes differ", file: file, line: line)
    }

    private func assertSameAttribute(_ a: Attribute?, _ b: Attribute?, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        switch (a, b) {
        case (.int(let x)?, .int(let y)?): XCTAssertEqual(x, y, what, file: file, line: line)
        case (.float(let x)?, .float(let y)?): XCTAssertEqual(x.bitPattern, y.bitPattern, what, file: file, line: line)
        case (.string(let x)?, .string(let y)?): XCTAssertEqual(x, y, what, file: file, line: line)
        case (.ints(let x)?, .ints(let y)?): XCTAssertEqual(x, y, what, file: file, line: line)
        case (.floats(let x)?, .floats(let y)?): XCTAssertEqual(x.map(\.bitPattern), y.map(\.bitPattern), what, file: file, line: line)
        case (.strings(let x)?, .strings(let y)?): XCTAssertEqual(x, y, what, file: file, line: line)
        case (.tensor(let x)?, .tensor(let y)?): assertSameTensor(x, y, what, file: file, line: line)
        default: XCTFail("\(what): \(String(describing: a)) vs \(String(describing: b))", file: file, line: line)
        }
    }

    private func assertSameGraph(_ a: Graph, _ b: Graph, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.name, b.name, file: file, line: line)
        XCTAssertEqual(a.opset, b.opset, file: file, line: line)
        XCTAssertEqual(a.metadata, b.metadata, file: file, line: line)
        for (x, y) in [(a.inputs, b.inputs), (a.outputs, b.outputs)] {
            XCTAssertEqual(x.map(\.name), y.map(\.name), file: file, line: line)
            XCTAssertEqual(x.map(\.dtype), y.map(\.dtype), file: file, line: line)
            XCTAssertEqual(x.map(\.dims), y.map(\.dims), file: file, line: line)
        }
        XCTAssertEqual(Set(a.initializers.keys), Set(b.initializers.keys), file: file, line: line)
        for (k, t) in a.initializers { assertSameTensor(t, b.initializers[k], "initializer '\(k)'", file: file, line: line) }
        XCTAssertEqual(a.nodes.count, b.nodes.count, file: file, line: line)
        for (n, m) in zip(a.nodes, b.nodes) {
            XCTAssertEqual(n.name, m.name, file: file, line: line)
            XCTAssertEqual(n.opType, m.opType, file: file, line: line)
            XCTAssertEqual(n.inputs, m.inputs, file: file, line: line)
            XCTAssertEqual(n.outputs, m.outputs, file: file, line: line)
            XCTAssertEqual(Set(n.attributes.keys), Set(m.attributes.keys), file: file, line: line)
            for (k, v) in n.attributes { assertSameAttribute(v, m.attributes[k], "attribute '\(k)' of '\(n.name)'", file: file, line: line) }
        }
    }

    // MARK: - Round trip

    func testRoundTripKeepsEverything() throws {
        let original = Self.sampleGraph()
        let (path, _) = try writeValid(original)
        XCTAssertTrue(EPMReader.isEPM(path))
        let loaded = try EPMReader.load(path)
        assertSameGraph(original, loaded)
    }

    func testInitializersAreBorrowedFromTheMappingAndAligned() throws {
        let (path, bytes) = try writeValid()
        let loaded = try EPMReader.load(path)
        let data = Self.dataSection(bytes)
        XCTAssertEqual(data.offset % EPMFormat.dataAlignment, 0)
        for (name, t) in loaded.initializers {
            XCTAssertTrue(t.buffer.isBorrowed, "'\(name)' was copied, not borrowed from the mapping")
            XCTAssertEqual(Int(bitPattern: t.raw) % EPMFormat.dataAlignment, 0, "'\(name)' is not 64-byte aligned in memory")
        }
        // The directory's offsets are aligned in the file too.
        for e in Self.layout(bytes).tensors {
            XCTAssertEqual((data.offset + Int(Self.u64(bytes, e.offsetAt))) % EPMFormat.dataAlignment, 0, "'\(e.name)'")
        }
        // Attribute tensors are copied out of the graph section (they are small and unaligned).
        if case .tensor(let t)? = loaded.nodes[0].attributes["tensor"] { XCTAssertFalse(t.buffer.isBorrowed) }
    }

    func testWritingTwiceGivesIdenticalBytes() throws {
        let (_, a) = try writeValid()
        let (_, b) = try writeValid()
        XCTAssertEqual(a, b, "EPMWriter output must not depend on dictionary order")
    }

    func testLoadedGraphRunsLikeTheOriginal() throws {
        let g = Self.runnableGraph()
        let (path, _) = try writeValid(g)
        let x = Tensor([1, -2, 0.5, 3, 0, 1, -1, 2], shape: [2, 4])
        let want = try InferenceSession(graph: g).run(["x": x])["y"]!
        let got = try InferenceSession(graph: try EPMReader.load(path)).run(["x": x])["y"]!
        XCTAssertEqual(got.shape, [2, 3])
        XCTAssertEqual(got.floats, want.floats)
    }

    func testEmptyGraphRoundTrips() throws {
        let g = Graph(name: "", opset: 7)
        let (path, _) = try writeValid(g)
        assertSameGraph(g, try EPMReader.load(path))
    }

    // MARK: - Malformed files

    func testEmptyFile() throws {
        let e = rejection([], "empty file", contains: "empty")
        XCTAssertEqual(e?.kind, .format)
    }

    func testWrongMagic() throws {
        let (_, valid) = try writeValid()
        rejection(Self.patched(valid, fixChecksums: false) { $0[7] = UInt8(ascii: "X") }, "EDGEPRUX", contains: "magic")
        rejection(Self.patched(valid, fixChecksums: false) { $0[0] = 0 }, "NUL first byte", contains: "magic")
        rejection(Array("PK\u{3}\u{4}".utf8) + [UInt8](repeating: 0, count: 100), "a zip file", contains: "magic")
        let path = dir.appendingPathComponent("notepm.epm").path
        try Data(Array("EDGEPRU".utf8)).write(to: URL(fileURLWithPath: path))
        XCTAssertFalse(EPMReader.isEPM(path))
    }

    func testTooShortForAHeader() throws {
        let (_, valid) = try writeValid()
        for n in [8, 9, 32, 63] {
            rejection(Array(valid.prefix(n)), "\(n)-byte prefix", contains: "too short")
        }
    }

    /// Every prefix of a valid file is rejected.
    func testTruncatedAtEveryOffset() throws {
        let (_, valid) = try writeValid()
        XCTAssertGreaterThan(valid.count, 500)
        for n in 0..<valid.count {
            rejection(Array(valid.prefix(n)), "prefix of \(n) of \(valid.count) bytes")
        }
    }

    /// One flipped byte anywhere: an error, or (only in bytes the format ignores: minor version,
    /// header flags, reserved bytes, inter-section padding) a file that loads unchanged.
    func testFlippedByteAtEveryOffset() throws {
        let original = Self.sampleGraph()
        let (_, valid) = try writeValid(original)
        let graph = Self.graphSection(valid), data = Self.dataSection(valid)
        var ignorable = Set(10..<16).union(40..<64)
        ignorable.formUnion((graph.offset + graph.length)..<data.offset)
        var rejected = 0
        for offset in 0..<valid.count {
            for mask: UInt8 in [0xFF, 0x80, 0x01] {
                let bytes = Self.patched(valid, fixChecksums: false) { $0[offset] ^= mask }
                let what = "byte \(offset) ^ 0x\(String(mask, radix: 16))"
                if ignorable.contains(offset) {
                    do {
                        assertSameGraph(original, try load(bytes))
                    } catch is EdgePruneError {
                        rejected += 1
                    } catch {
                        XCTFail("\(what): \(type(of: error)) instead of EdgePruneError: \(error)")
                    }
                } else if rejection(bytes, what) != nil {
                    rejected += 1
                }
            }
        }
        XCTAssertGreaterThan(rejected, 3 * (valid.count - ignorable.count) - 1)
    }

    /// Flipped bytes inside the graph section with the checksums recomputed, so the corruption
    /// reaches the decoder: any result but a crash is fine (names and values may change), and an
    /// error must be an EdgePruneError.
    func testFlippedGraphSectionByteWithValidChecksums() throws {
        let (_, valid) = try writeValid()
        let graph = Self.graphSection(valid)
        var errors = 0, loaded = 0
        for offset in graph.offset..<(graph.offset + graph.length) {
            for mask: UInt8 in [0xFF, 0x80, 0x01, 0x40] {
                let bytes = Self.patched(valid) { $0[offset] ^= mask }
                do {
                    _ = try load(bytes)
                    loaded += 1
                } catch is EdgePruneError {
                    errors += 1
                } catch {
                    XCTFail("byte \(offset) ^ \(mask): \(type(of: error)) instead of EdgePruneError: \(error)")
                }
            }
        }
        XCTAssertGreaterThan(errors, 0)
        XCTAssertGreaterThan(loaded, 0)
    }

    func testWrongMajorVersion() throws {
        let (_, valid) = try writeValid()
        for major: UInt8 in [0, 2, 0xFF] {
            let e = rejection(Self.patched(valid, fixChecksums: false) { $0[8] = major }, "major \(major)", contains: "major version \(major)")
            XCTAssertEqual(e?.kind, .format)
        }
        // A newer minor version is accepted (it only adds optional content).
        let minor = Self.patched(valid, fixChecksums: false) { $0[10] = 9 }
        assertSameGraph(Self.sampleGraph(), try load(minor))
    }

    /// Moves the section table to the end of the file with one extra section (kind 99).
    private static func withExtraSection(_ valid: [UInt8], flags: UInt32) -> [UInt8] {
        var b = valid
        let payload: [UInt8] = Array("future content".utf8)
        let payloadOffset = b.count
        b += payload
        let tableOffset = b.count
        b += valid[64..<(64 + 2 * EPMFormat.sectionEntrySize)]
        var entry = [UInt8](repeating: 0, count: EPMFormat.sectionEntrySize)
        put32(&entry, 0, 99)
        put32(&entry, 4, flags)
        put64(&entry, 8, UInt64(payloadOffset))
        put64(&entry, 16, UInt64(payload.count))
        b += entry
        put32(&b, 16, 3)
        put64(&b, 24, UInt64(tableOffset))
        put64(&b, 32, UInt64(b.count))
        fixChecksums(&b)
        return b
    }

    func testUnknownRequiredSectionKind() throws {
        let (_, valid) = try writeValid()
        let e = rejection(Self.withExtraSection(valid, flags: 0), "required section kind 99", contains: "unknown required kind 99")
        XCTAssertEqual(e?.kind, .format)
        // The same section marked optional is skipped.
        assertSameGraph(Self.sampleGraph(), try load(Self.withExtraSection(valid, flags: EPMFormat.sectionOptional)))
        // Replacing the graph section's kind leaves no graph.
        let gIndex = Self.sections(valid).firstIndex { $0.kind == 1 }!
        rejection(Self.patched(valid) { Self.put32(&$0, 64 + gIndex * 32, 77) }, "graph section renamed", contains: "unknown required kind 77")
        rejection(Self.patched(valid) { Self.put32(&$0, 64 + gIndex * 32, 77); Self.put32(&$0, 64 + gIndex * 32 + 4, 1) },
                  "graph section renamed, optional", contains: "missing graph or data section")
    }

    func testTensorOffsetOutsideDataSection() throws {
        let (_, valid) = try writeValid()
        let data = Self.dataSection(valid)
        let l = Self.layout(valid)
        let w = l.tensors.first { $0.name == "W" }!
        let len = Self.u64(valid, w.lengthAt)
        for (label, off) in [("data length", UInt64(data.length)), ("data length - len + 64", UInt64(data.length) - len + 64),
                             ("2^63", UInt64(1) << 63), ("2^64-1", UInt64.max)] {
            rejection(Self.patched(valid) { Self.put64(&$0, w.offsetAt, off) }, "W at \(label)", contains: "outside the data section")
        }
        // Inside, but not 64-byte aligned.
        rejection(Self.patched(valid) { Self.put64(&$0, w.offsetAt, Self.u64(valid, w.offsetAt) + 4) }, "W misaligned", contains: "aligned")
        // Length that does not match the shape, huge length.
        rejection(Self.patched(valid) { Self.put64(&$0, w.lengthAt, len + 4) }, "W length + 4", contains: "stores")
        rejection(Self.patched(valid) { Self.put64(&$0, w.lengthAt, .max) }, "W length 2^64-1", contains: "stores")
        // Unknown encoding.
        rejection(Self.patched(valid) { Self.put32(&$0, w.encodingAt, 5) }, "encoding 5", contains: "encoding 5")
    }

    func testHugeOrNegativeTensorDimensions() throws {
        let (_, valid) = try writeValid()
        let w = Self.layout(valid).tensors.first { $0.name == "W" }!
        for (label, dim) in [("2^40", Int64(1) << 40), ("2^62", Int64(1) << 62), ("Int64.max", Int64.max), ("-1", -1), ("Int64.min", Int64.min)] {
            let e = rejection(Self.patched(valid) { Self.put64(&$0, w.dimsAt, UInt64(bitPattern: dim)) }, "W dim \(label)")
            XCTAssertEqual(e?.kind, .limit, "W dim \(label): \(String(describing: e))")
        }
        // A shape within the limit whose bytes are not there.
        rejection(Self.patched(valid) { Self.put64(&$0, w.dimsAt, 1 << 20) }, "W dim 2^20", contains: "stores")
    }

    func testDeclaredFileSizeMismatch() throws {
        let (_, valid) = try writeValid()
        let size = UInt64(valid.count)
        for declared in [size + 1, size - 1, 0, UInt64.max] {
            rejection(Self.patched(valid, fixChecksums: false) { Self.put64(&$0, 32, declared) }, "declared \(declared)", contains: "does not match")
        }
        rejection(valid + [0], "one byte appended", contains: "does not match")
        rejection(valid + [UInt8](repeating: 0, count: 4096), "a page appended", contains: "does not match")
    }

    func testSectionTableOutsideTheFile() throws {
        let (_, valid) = try writeValid()
        for (label, off) in [("0", UInt64(0)), ("63", UInt64(63)), ("file size", UInt64(valid.count)), ("2^40", UInt64(1) << 40),
                             ("Int64.max", UInt64(Int64.max)), ("2^63", UInt64(1) << 63), ("2^64-1", UInt64.max)] {
            rejection(Self.patched(valid, fixChecksums: false) { Self.put64(&$0, 24, off) }, "table offset \(label)", contains: "section table")
        }
        for count: UInt32 in [65, 1000, .max] {
            rejection(Self.patched(valid, fixChecksums: false) { Self.put32(&$0, 16, count) }, "section count \(count)", contains: "section table")
        }
        rejection(Self.patched(valid, fixChecksums: false) { Self.put32(&$0, 20, Self.u32(valid, 20) ^ 1) }, "table checksum", contains: "checksum")
        rejection(Self.patched(valid, fixChecksums: false) { Self.put32(&$0, 16, 0) }, "no sections", contains: "checksum")
        rejection(Self.patched(valid) { Self.put32(&$0, 16, 0) }, "no sections, checksum fixed", contains: "missing graph or data section")
    }

    func testSectionOutsideTheFile() throws {
        let (_, valid) = try writeValid()
        let gIndex = Self.sections(valid).firstIndex { $0.kind == 1 }!
        let entry = 64 + gIndex * EPMFormat.sectionEntrySize
        for (label, field, value) in [("length 2^64-1", 16, UInt64.max), ("length = file size", 16, UInt64(valid.count)),
                                      ("offset 2^64-1", 8, UInt64.max), ("offset = file size + 1", 8, UInt64(valid.count + 1))] {
            rejection(Self.patched(valid) { Self.put64(&$0, entry + field, value) }, "graph section \(label)", contains: "outside the file")
        }
        // The graph section made shorter: it ends in the middle of a field.
        let g = Self.graphSection(valid)
        for cut in [1, 4, g.length / 2, g.length - 1] {
            rejection(Self.patched(valid) { Self.put64(&$0, entry + 16, UInt64(g.length - cut)) }, "graph section \(cut) bytes short", contains: "graph section")
        }
    }

    func testHugeCountsWithValidChecksums() throws {
        let (_, valid) = try writeValid()
        let l = Self.layout(valid)
        for (label, at) in [("metadata", l.metadataCountAt), ("tensors", l.tensorCountAt), ("nodes", l.nodeCountAt)] {
            for count: UInt32 in [.max, 1 << 24, 0x7FFF_FFFF] {
                rejection(Self.patched(valid) { Self.put32(&$0, at, count) }, "\(label) count \(count)", contains: "exceeds the section")
            }
        }
    }

    /// An attribute tensor whose declared shape is large (1 GiB, within the tensor limit) but whose
    /// bytes are not in the file is rejected without allocating the declared size.
    func testAttributeTensorShapeDoesNotAllocateBeforeTheCheck() throws {
        let (_, valid) = try writeValid()
        let t = Self.layout(valid).attrTensors.first { $0.key == "tensor" }!
        XCTAssertEqual(t.dims, [2, 2])
        let before = Self.peakRSSBytes()
        rejection(Self.patched(valid) {
            Self.put64(&$0, t.rankAt + 4, 1 << 14)
            Self.put64(&$0, t.rankAt + 12, 1 << 14)
        }, "attribute tensor [16384,16384] with 16 bytes", contains: "stores")
        let grown = Self.peakRSSBytes() - before
        XCTAssertLessThan(grown, 256 << 20, "the declared 1 GiB attribute tensor was allocated before its length was checked (+\(grown >> 20) MiB peak RSS)")
        // Lengths past Int.max are an error, not a conversion trap.
        for len in [UInt64(1) << 63, UInt64.max] {
            rejection(Self.patched(valid) { Self.put64(&$0, t.lengthAt, len) }, "attribute tensor length \(len)", contains: "stores")
        }
    }

    func testUnknownKindsAndTypes() throws {
        let (_, valid) = try writeValid()
        let l = Self.layout(valid)
        let w = l.tensors.first { $0.name == "W" }!
        // The element type precedes the rank.
        rejection(Self.patched(valid) { Self.put32(&$0, w.dimsAt - 8, 11) }, "tensor type f64", contains: "unknown element type 11")
        let t = l.attrTensors.first { $0.key == "tensor" }!
        rejection(Self.patched(valid) { Self.put32(&$0, t.rankAt - 4, 0) }, "attribute tensor type 0", contains: "unknown element type 0")
        rejection(Self.patched(valid) { Self.put32(&$0, t.rankAt, 17) }, "attribute tensor rank 17", contains: "rank 17")
        // The attribute kind byte precedes the element type.
        rejection(Self.patched(valid) { $0[t.rankAt - 5] = 42 }, "attribute kind 42", contains: "unknown kind 42")
    }

    private static func peakRSSBytes() -> Int {
        var u = rusage()
        #if os(macOS)
        getrusage(RUSAGE_SELF, &u)
        return Int(u.ru_maxrss)
        #else
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Int(u.ru_maxrss) * 1024
        #endif
    }
}
