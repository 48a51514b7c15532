import ArgumentParser
import EdgePruneCore
import EdgePruneONNX

struct ConformanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Run ONNX backend test folders (model.onnx + test_data_set_*/input_*.pb, output_*.pb).",
        discussion: """
            Each DIR is a test or a parent of tests. One line per test: pass, FAIL with the max abs
            error, or unsupported with the reason; the last line is 'N passed, N failed, N skipped'.
            Exits non-zero when any test fails. Tolerance: |got-want| <= 1e-5 + 1e-3*|want|.
            """)

    @Argument(help: "Test folders.")
    var dirs: [String]

    func run() throws {
        var passed = 0, failed = 0, skipped = 0
        for dir in dirs {
            let tests: [String]
            do { tests = try ConformanceRunner.testDirectories(dir) } catch {
                CLI.fail("\(error)")
            }
            for t in tests {
                let r = ConformanceRunner.run(t)
                switch r.outcome {
                case .pass(let err):
                    passed += 1
                    print("\(r.name): pass (max abs error \(err))")
                case .fail(let why):
                    failed += 1
                    print("\(r.name): FAIL \(why)")
                case .unsupported(let why):
                    skipped += 1
                    print("\(r.name): unsupported (\(why))")
                }
            }
        }
        print("\(passed) passed, \(failed) failed, \(skipped) skipped")
        if failed > 0 { throw ExitCode(1) }
    }
}
