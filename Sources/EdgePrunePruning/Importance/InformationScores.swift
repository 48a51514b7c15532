import Foundation

/// Information-bottleneck importance: how much a unit's activation tells about the label.
///
/// I(A; Y) = sum over bins b and classes y of p(b, y) log2(p(b, y) / (p(b) p(y))), in bits, for
/// the per-sample activation A of one neuron or channel (a channel's mean over positions) and the
/// label Y. Estimated by binning A into equal-frequency bins (quantiles over the calibration
/// samples; equal values always share a bin, so a ReLU unit that is mostly zero gets one bin for
/// its zeros), with the Miller-Madow bias correction (the plug-in estimate overstates I by about
/// (cells - rows - columns + 1) / (2 N ln 2)), clamped at 0.
///
/// Why binning and not HSIC: the label is discrete and N is a few hundred to a few thousand, so a
/// histogram per unit costs O(N log N) and needs no kernel bandwidth, where HSIC needs an N x N
/// Gram matrix per unit and a bandwidth choice; the result is in bits, comparable across layers.
public enum InformationScores {
    /// Bins for `samples` values and `classes` labels: about 5 samples per (bin, class) cell,
    /// between 2 and 16.
    public static func binCount(samples: Int, classes: Int) -> Int {
        max(2, min(16, samples / max(5 * classes, 1)))
    }

    /// I(A; Y) in bits for one unit: `values[i]` is the unit's activation on sample i.
    public static func mutualInformation(_ values: [Float], labels: [Int], classes: Int, bins: Int? = nil) -> Double {
        let n = values.count
        guard n > 1, labels.count == n, classes > 1 else { return 0 }
        let bins = bins ?? binCount(samples: n, classes: classes)
        let order = values.indices.sorted { values[$0] < values[$1] }
        var bin = [Int](repeating: 0, count: n)
        var rankOfRun = 0
        for (rank, i) in order.enumerated() {
            if rank > 0, values[i] != values[order[rank - 1]] { rankOfRun = rank }
            bin[i] = rankOfRun * bins / n
        }
        var joint = [Int](repeating: 0, count: bins * classes)
        var pb = [Int](repeating: 0, count: bins), py = [Int](repeating: 0, count: classes)
        for i in 0..<n {
            let y = labels[i]
            guard y >= 0, y < classes else { continue }
            joint[bin[i] * classes + y] += 1
            pb[bin[i]] += 1
            py[y] += 1
        }
        let total = Double(pb.reduce(0, +))
        guard total > 0 else { return 0 }
        var mi = 0.0
        for b in 0..<bins where pb[b] > 0 {
            for y in 0..<classes where joint[b * classes + y] > 0 {
                let pxy = Double(joint[b * classes + y]) / total
                mi += pxy * log2(pxy / (Double(pb[b]) / total * Double(py[y]) / total))
            }
        }
        let cells = joint.filter { $0 > 0 }.count, rows = pb.filter { $0 > 0 }.count, cols = py.filter { $0 > 0 }.count
        let correction = Double(cells - rows - cols + 1) / (2 * total * 0.6931471805599453)
        return max(0, mi - correction)
    }

    /// I(A_c; Y) for every channel of a captured activation.
    public static func perChannel(_ a: ChannelActivations, labels: [Int], classes: Int) -> [Double] {
        (0..<a.channels).map { c in
            let v = (0..<a.samples).map { a.sampleMeans[$0 * a.channels + c] }
            return mutualInformation(v, labels: labels, classes: classes)
        }
    }
}
