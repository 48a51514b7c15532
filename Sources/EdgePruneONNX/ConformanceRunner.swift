import EdgePruneCore
#if canImport(Glibc)
import Glibc
#endif

/// Runs ONNX backend test folders: `model.onnx` plus `test_data_set_*/input_*.pb` and
/// `output_*.pb`. A folder is a test, or a parent whose subfolders are tests.
public enum ConformanceRunner {
    public enum Outcome: Equatable {
        case pass(maxAbsError: Double)
        case fail(String)
        case unsupported(String)
    }

    public struct Result {
        public let name: String
        public let outcome: Outcome
    }

    /// Tolerances of the ONNX backend tests for float outputs: |got - want| <= atol + rtol*|want|.
    public static let rtol = 1e-3, atol = 1e-5

    /// The test folders under `path` (itself, or its immediate subfolders holding a model.onnx).
    public static func testDirectories(_ path: String) throws -> [String] {
        if isFile(path + "/model.onnx") { return [path] }
        let subs = try listDirectory(path).filter { isFile(path + "/" + $0 + "/model.onnx") }.sorted()
        if subs.isEmpty { throw EdgePruneError(.input, "'\(path)' holds no model.onnx, nor subfolders with one") }
        return subs.map { path + "/" + $0 }
    }

    public static func run(_ dir: String) -> Result {
        let name = String(dir.split(separator: "/").last ?? Substring(dir))
        do {
            let session = try ModelLoader.session(dir + "/model.onnx")
            let sets = try listDirectory(dir).filter { $0.hasPrefix("test_data_set_") }.sorted()
            guard !sets.isEmpty else { return Result(name: name, outcome: .unsupported("no test_data_set_* folder")) }
            var worst = 0.0
            for set in sets {
                let base = dir + "/" + set
                let files = try listDirectory(base)
                let inputs = try files.filter { $0.hasPrefix("input_") }.sorted(by: numericOrder).map { try ONNXTensor.load(base + "/" + $0) }
                let expected = try files.filter { $0.hasPrefix("output_") }.sorted(by: numericOrder).map { try ONNXTensor.load(base + "/" + $0) }
                guard inputs.count == session.inputs.count else {
                    return Result(name: name, outcome: .fail("\(set): \(inputs.count) inputs given, model takes \(session.inputs.count)"))
                }
                let feeds = Dictionary(uniqueKeysWithValues: zip(session.inputs.map(\.name), inputs))
                let results = try session.run(feeds)
                let outputs = session.outputs.map { results[$0.name]! }
                guard outputs.count == expected.count else {
                    return Result(name: name, outcome: .fail("\(set): \(outputs.count) outputs, expected \(expected.count)"))
                }
                for (i, (got, want)) in zip(outputs, expected).enumerated() {
                    guard got.shape == want.shape, got.dtype == want.dtype else {
                        return Result(name: name, outcome: .fail("\(set) output \(i): got \(got.type), want \(want.type)"))
                    }
                    let (err, ok) = compare(got, want)
                    worst = max(worst, err)
                    if !ok { return Result(name: name, outcome: .fail("\(set) output \(i): max abs error \(err)")) }
                }
            }
            return Result(name: name, outcome: .pass(maxAbsError: worst))
        } catch let e as EdgePruneError where e.kind == .unsupported {
            return Result(name: name, outcome: .unsupported(e.message))
        } catch {
            return Result(name: name, outcome: .fail("\(error)"))
        }
    }

    /// Max abs error and whether every element is within tolerance (exact for integers).
    static func compare(_ got: Tensor, _ want: Tensor) -> (Double, Bool) {
        if got.dtype != .float32 {
            let a = got.asInts(), b = want.asInts()
            let err = zip(a, b).map { Double(abs($0 - $1)) }.max() ?? 0
            return (err, a == b)
        }
        let a = got.floats, b = want.floats
        var worst = 0.0, ok = true
        for (x, y) in zip(a, b) {
            let dx = Double(x), dy = Double(y)
            if dx.isNaN || dy.isNaN { if dx.isNaN != dy.isNaN { ok = false; worst = .infinity }; continue }
            let e = abs(dx - dy)
            worst = max(worst, e)
            if e > atol + rtol * abs(dy) { ok = false }
        }
        return (worst, ok)
    }

    private static func numericOrder(_ a: String, _ b: String) -> Bool {
        func index(_ s: String) -> Int { Int(s.split(separator: "_").last?.split(separator: ".").first ?? "") ?? 0 }
        return index(a) < index(b)
    }

    static func isFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    static func listDirectory(_ path: String) throws -> [String] {
        guard let d = opendir(path) else { throw EdgePruneError(.io, "cannot read directory '\(path)'") }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
