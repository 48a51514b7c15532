import Foundation
import XCTest
@testable import EdgePruneDevice

/// A clock that only moves when a source sleeps on it (or the test moves it).
final class VirtualClock: SensorClock, @unchecked Sendable {
    var t: Double
    var sleeps: [Double] = []
    init(_ t: Double = 1000) { self.t = t }
    func now() -> Double { t }
    func sleep(_ seconds: Double) {
        sleeps.append(seconds)
        if seconds > 0 { t += seconds }
    }
}

/// Reads until `count` samples or the source finishes; timeouts are retried a bounded number of times.
func drain(_ source: any SensorSource, count: Int = .max, timeout: Double = 2, file: StaticString = #filePath,
           line: UInt = #line) throws -> (samples: [SensorSample], finished: Bool) {
    var out: [SensorSample] = []
    var idle = 0
    while out.count < count {
        switch try source.read(timeout: timeout) {
        case .sample(let s): out.append(s); idle = 0
        case .finished: return (out, true)
        case .timedOut:
            idle += 1
            if idle > 50 { XCTFail("source kept timing out", file: file, line: line); return (out, false) }
        }
    }
    return (out, false)
}

func sample(_ values: [Float], at t: Double = 0) -> SensorSample { SensorSample(time: t, values: values) }
