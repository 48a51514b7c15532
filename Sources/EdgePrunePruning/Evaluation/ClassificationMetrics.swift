import EdgePruneCore

/// Precision, recall and F1 of one class (one-vs-rest).
public struct ClassMetrics: Codable, Sendable, Equatable {
    /// TP / (TP + FP); 0 when the class is never predicted (no 0/0 NaN; scikit-learn's
    /// `zero_division=0` convention).
    public let precision: Double
    /// TP / (TP + FN); 0 when the class has no samples.
    public let recall: Double
    /// 2PR / (P + R); 0 when P + R = 0.
    public let f1: Double
    /// Samples whose true label is this class.
    public let support: Int

    public init(precision: Double, recall: Double, f1: Double, support: Int) {
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.support = support
    }
}

/// Everything a classification run is judged by.
public struct ClassificationReport: Codable, Sendable, Equatable {
    public let samples: Int
    public let correct: Int
    /// correct / samples (0 for no samples).
    public let accuracy: Double
    /// One entry per class 0..<classes.
    public let perClass: [ClassMetrics]
    /// Unweighted mean of the per-class F1 over the classes that occur in the labels or the
    /// predictions (a class with neither has no defined F1 and is left out rather than counted 0).
    public let macroF1: Double
    /// confusion[t][p]: samples with true class t predicted as p.
    public let confusion: [[Int]]
}

public enum ClassificationMetrics {
    /// Checks labels before scoring: one per sample, each in 0..<classes. The error names the
    /// first bad index and value.
    public static func validate(labels: [Int], samples: Int, classes: Int) throws {
        guard classes >= 1 else {
            throw EdgePruneError(.input, "the model's first output has \(classes) classes; at least 1 is needed to classify")
        }
        guard labels.count == samples else {
            throw EdgePruneError(.input, "\(labels.count) labels for \(samples) samples; give one label per sample")
        }
        if let i = labels.firstIndex(where: { $0 < 0 || $0 >= classes }) {
            throw EdgePruneError(.input, "label \(i) is \(labels[i]), outside the model's classes 0...\(classes - 1)")
        }
    }

    /// Scores predictions against labels. Both arrays must have the same length and hold values
    /// in 0..<classes (check labels with `validate(labels:samples:classes:)` first; predictions
    /// from `Evaluator.predict` always are); a violation is a programming error and traps.
    public static func report(predicted: [Int], labels: [Int], classes: Int) -> ClassificationReport {
        precondition(predicted.count == labels.count, "\(predicted.count) predictions for \(labels.count) labels")
        precondition(classes >= 1, "classes must be at least 1")
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (p, t) in zip(predicted, labels) {
            precondition((0..<classes).contains(p) && (0..<classes).contains(t), "class out of range 0..<\(classes)")
            confusion[t][p] += 1
        }
        var perClass: [ClassMetrics] = []
        var f1Sum = 0.0, f1Count = 0
        var correct = 0
        for c in 0..<classes {
            let tp = confusion[c][c]
            correct += tp
            let support = confusion[c].reduce(0, +)
            let predictedAs = (0..<classes).reduce(0) { $0 + confusion[$1][c] }
            let precision = predictedAs == 0 ? 0 : Double(tp) / Double(predictedAs)
            let recall = support == 0 ? 0 : Double(tp) / Double(support)
            let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
            perClass.append(ClassMetrics(precision: precision, recall: recall, f1: f1, support: support))
            if support > 0 || predictedAs > 0 {
                f1Sum += f1
                f1Count += 1
            }
        }
        let n = labels.count
        return ClassificationReport(samples: n, correct: correct, accuracy: n == 0 ? 0 : Double(correct) / Double(n),
                                    perClass: perClass, macroF1: f1Count == 0 ? 0 : f1Sum / Double(f1Count),
                                    confusion: confusion)
    }
}
