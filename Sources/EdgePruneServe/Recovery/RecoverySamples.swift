import Foundation

/// Labelled samples for on-device recovery, built from the inference stream: the input window of
/// each recent inference is kept in a fixed ring (by inference id), and a label that arrives for
/// an id still in the ring turns that window into a labelled sample (a second fixed ring, oldest
/// dropped first). Nothing is persisted: a restart starts empty.
///
/// Memory is allocated once: (windowCapacity + maxSamples) × inputCount floats. `record` runs on
/// the inference thread: one short lock and a copy, no allocation. `label` runs on the feedback
/// caller's thread.
public final class RecoverySamples: @unchecked Sendable {
    public struct Counters: Sendable, Equatable {
        /// Windows recorded (inferences seen).
        public var windows: UInt64 = 0
        /// Labels that became samples.
        public var labelled: UInt64 = 0
        /// Labels whose window was no longer (or never) in the ring, or that came twice.
        public var unmatched: UInt64 = 0
        /// Labels outside the model's classes.
        public var outOfRange: UInt64 = 0
        /// Labels whose window holds a NaN or an infinity (never trained on).
        public var nonFinite: UInt64 = 0
        /// Samples pushed out of the full buffer by newer ones.
        public var evicted: UInt64 = 0
    }

    public let inputCount: Int
    public let classes: Int
    public let windowCapacity: Int
    public let maxSamples: Int

    private let lock = NSLock()
    private var windows: [Float]
    /// Inference id held by each window slot (0: empty or already labelled).
    private var windowIDs: [UInt64]
    private var samples: [Float]
    private var labels: [Int]
    private var sampleCount = 0
    private var nextSample = 0
    private var newSamples = 0
    private var counters = Counters()

    public init(inputCount: Int, classes: Int, windowCapacity: Int, maxSamples: Int) {
        precondition(inputCount > 0 && classes >= 2 && windowCapacity > 0 && maxSamples > 0)
        self.inputCount = inputCount
        self.classes = classes
        self.windowCapacity = windowCapacity
        self.maxSamples = maxSamples
        windows = [Float](repeating: 0, count: windowCapacity * inputCount)
        windowIDs = [UInt64](repeating: 0, count: windowCapacity)
        samples = [Float](repeating: 0, count: maxSamples * inputCount)
        labels = [Int](repeating: 0, count: maxSamples)
    }

    /// Bytes held for `inputCount` values per window.
    public static func bytes(inputCount: Int, windowCapacity: Int, maxSamples: Int) -> Int {
        (windowCapacity + maxSamples) * inputCount * MemoryLayout<Float>.size
    }

    /// The input of inference `id` (inference thread). Inputs of another size are ignored.
    public func record(id: UInt64, input: UnsafeBufferPointer<Float>) {
        guard id != 0, input.count == inputCount else { return }
        let slot = Int(id % UInt64(windowCapacity))
        lock.withLock {
            windows.withUnsafeMutableBufferPointer { w in
                (w.baseAddress! + slot * inputCount).update(from: input.baseAddress!, count: inputCount)
            }
            windowIDs[slot] = id
            counters.windows += 1
        }
    }

    /// The label of inference `id`: true when its window was still kept and the label is one of
    /// the model's classes (the pair is then a sample). Each window is labelled at most once; a
    /// window holding a NaN or an infinity never becomes a sample.
    @discardableResult
    public func label(id: UInt64, label: Int) -> Bool {
        lock.withLock {
            guard label >= 0, label < classes else { counters.outOfRange += 1; return false }
            let slot = Int(id % UInt64(windowCapacity))
            guard id != 0, windowIDs[slot] == id else { counters.unmatched += 1; return false }
            windowIDs[slot] = 0
            let finite = windows.withUnsafeBufferPointer { w in
                UnsafeBufferPointer(rebasing: w[(slot * inputCount)..<((slot + 1) * inputCount)]).allSatisfy(\.isFinite)
            }
            guard finite else { counters.nonFinite += 1; return false }
            let target = nextSample
            windows.withUnsafeBufferPointer { w in
                samples.withUnsafeMutableBufferPointer { s in
                    (s.baseAddress! + target * inputCount).update(from: w.baseAddress! + slot * inputCount, count: inputCount)
                }
            }
            labels[target] = label
            nextSample = (nextSample + 1) % maxSamples
            if sampleCount == maxSamples { counters.evicted += 1 } else { sampleCount += 1 }
            newSamples = min(newSamples + 1, maxSamples)
            counters.labelled += 1
            return true
        }
    }

    /// Samples held, and how many arrived since the last `take`.
    public var count: (samples: Int, new: Int) { lock.withLock { (sampleCount, newSamples) } }

    public var stats: Counters { lock.withLock { counters } }

    /// A copy of every sample (oldest first) and their labels; resets the count of new ones.
    public func take() -> (inputs: [Float], labels: [Int]) {
        lock.withLock {
            let start = sampleCount == maxSamples ? nextSample : 0
            var x = [Float](), y = [Int]()
            x.reserveCapacity(sampleCount * inputCount)
            y.reserveCapacity(sampleCount)
            for k in 0..<sampleCount {
                let i = (start + k) % maxSamples
                x.append(contentsOf: samples[(i * inputCount)..<((i + 1) * inputCount)])
                y.append(labels[i])
            }
            newSamples = 0
            return (x, y)
        }
    }
}
