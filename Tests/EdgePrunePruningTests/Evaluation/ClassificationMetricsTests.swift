import EdgePruneCore
import EdgePrunePruning
import XCTest

final class ClassificationMetricsTests: XCTestCase {
    /// labels [0,0,1,1,2,2], predicted [0,1,1,1,0,0]:
    /// class 0: TP 1, predicted 3 times → P 1/3, R 1/2, F1 0.4
    /// class 1: TP 2, predicted 3 times → P 2/3, R 1,   F1 0.8
    /// class 2: never predicted        → P 0 (not NaN), R 0, F1 0
    func testHandComputedReport() {
        let r = ClassificationMetrics.report(predicted: [0, 1, 1, 1, 0, 0], labels: [0, 0, 1, 1, 2, 2], classes: 3)
        XCTAssertEqual(r.samples, 6)
        XCTAssertEqual(r.correct, 3)
        XCTAssertEqual(r.accuracy, 0.5)
        XCTAssertEqual(r.confusion, [[1, 1, 0], [0, 2, 0], [2, 0, 0]])
        XCTAssertEqual(r.perClass[0].precision, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(r.perClass[0].recall, 0.5, accuracy: 1e-12)
        XCTAssertEqual(r.perClass[0].f1, 0.4, accuracy: 1e-12)
        XCTAssertEqual(r.perClass[1].precision, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(r.perClass[1].recall, 1)
        XCTAssertEqual(r.perClass[1].f1, 0.8, accuracy: 1e-12)
        XCTAssertEqual(r.perClass[2], ClassMetrics(precision: 0, recall: 0, f1: 0, support: 2))
        XCTAssertEqual(r.macroF1, 0.4, accuracy: 1e-12)
        XCTAssertEqual(r.perClass.map(\.support), [2, 2, 2])
    }

    /// A class with neither samples nor predictions has all-zero metrics and stays out of the
    /// macro average (it would otherwise drag it down for a class that never occurred).
    func testAbsentClassLeftOutOfMacroF1() {
        let r = ClassificationMetrics.report(predicted: [0, 1, 1, 1, 0, 0], labels: [0, 0, 1, 1, 2, 2], classes: 4)
        XCTAssertEqual(r.perClass[3], ClassMetrics(precision: 0, recall: 0, f1: 0, support: 0))
        XCTAssertEqual(r.macroF1, 0.4, accuracy: 1e-12)
        XCTAssertEqual(r.confusion[3], [0, 0, 0, 0])
        XCTAssertFalse(r.perClass.contains { $0.precision.isNaN || $0.recall.isNaN || $0.f1.isNaN })
    }

    func testPerfectPredictions() {
        let labels = [2, 0, 1, 1, 2]
        let r = ClassificationMetrics.report(predicted: labels, labels: labels, classes: 3)
        XCTAssertEqual(r.accuracy, 1)
        XCTAssertEqual(r.macroF1, 1)
        XCTAssertEqual(r.perClass.map(\.support), [1, 2, 2])
    }

    func testLabelValidation() throws {
        XCTAssertNoThrow(try ClassificationMetrics.validate(labels: [0, 2, 1], samples: 3, classes: 3))
        assertEvaluationError("label 2 is 7") { try ClassificationMetrics.validate(labels: [0, 1, 7, 9], samples: 4, classes: 3) }
        assertEvaluationError("label 1 is -1") { try ClassificationMetrics.validate(labels: [0, -1], samples: 2, classes: 3) }
        assertEvaluationError("2 labels for 3 samples") { try ClassificationMetrics.validate(labels: [0, 1], samples: 3, classes: 3) }
    }
}

/// Asserts that `body` throws a one-line EdgePruneError containing `fragment`.
func assertEvaluationError(_ fragment: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected an error containing '\(fragment)'", file: file, line: line)
    } catch let e as EdgePruneError {
        XCTAssertTrue(e.description.contains(fragment), "'\(e.description)' lacks '\(fragment)'", file: file, line: line)
        XCTAssertFalse(e.description.contains("\n"), file: file, line: line)
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}
