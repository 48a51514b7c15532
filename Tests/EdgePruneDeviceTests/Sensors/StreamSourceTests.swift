import Foundation
import XCTest
import EdgePruneCore
@testable import EdgePruneDevice

/// Replay (.npy, CSV), stdin lines and UDP datagrams.
final class StreamSourceTests: XCTestCase {
    // MARK: replay

    func testNpyReplayKeepsTheRateOnAVirtualClock() throws {
        let tree = FakeTree()
        let t = Tensor(zeros: TensorType(.float32, [3, 2, 2]))
        for i in 0..<12 { t.pointer(as: Float.self)[i] = Float(i) }
        try NPY.write(t, to: tree.path("rec.npy"))
        let clock = VirtualClock(50)
        let src = try ReplaySource.npy(tree.path("rec.npy"), rate: 200, clock: clock)
        XCTAssertEqual(src.channelCount, 4)
        let (samples, finished) = try drain(src)
        XCTAssertTrue(finished)
        XCTAssertEqual(samples.map(\.values), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]])
        XCTAssertEqual(samples.map(\.time), [50, 50.005, 50.01])
        XCTAssertEqual(clock.t, 50.01, accuracy: 1e-12, "it slept exactly up to each due time")
    }

    func testReplayTimesOutWhenTheNextSampleIsFarAndLoops() throws {
        let clock = VirtualClock(0)
        let src = try ReplaySource(name: "mem", values: [1, 2], channels: 1, rate: 1, loop: true, clock: clock)
        guard case .sample(let a) = try src.read(timeout: 0.1) else { return XCTFail() }
        XCTAssertEqual(try src.read(timeout: 0.1), .timedOut)
        XCTAssertEqual(clock.t, 0.1, accuracy: 1e-12, "waited the timeout, no longer")
        let (rest, _) = try drain(src, count: 3)
        XCTAssertEqual(([a] + rest).map(\.values), [[1], [2], [1], [2]])
        XCTAssertEqual(([a] + rest).map(\.time), [0, 1, 2, 3])
    }

    func testReplayThatFallsBehindCatchesUpWithoutSkipping() throws {
        let clock = VirtualClock(0)
        let src = try ReplaySource(name: "mem", values: [1, 2, 3], channels: 1, rate: 10, clock: clock)
        _ = try src.read(timeout: 1)
        clock.t += 1   // the consumer stalled for 1 s
        let (rest, _) = try drain(src)
        XCTAssertEqual(rest.map(\.values), [[2], [3]])
        XCTAssertEqual(clock.t, 1, "overdue samples come at once")
    }

    func testCSVWithHeaderCommentsAndMixedSeparators() throws {
        let tree = FakeTree()
        tree.write("r.csv", "ax,ay,az\n# calibration run\n0.5, 1, -2\n\n3 4 5\r\n6;7;8\n")
        let src = try ReplaySource.csv(tree.path("r.csv"), rate: nil)
        let (samples, finished) = try drain(src)
        XCTAssertTrue(finished)
        XCTAssertEqual(samples.map(\.values), [[0.5, 1, -2], [3, 4, 5], [6, 7, 8]])
    }

    func testCSVErrorsNameTheLine() throws {
        let tree = FakeTree()
        tree.write("a.csv", "1,2\n3,x\n")
        XCTAssertEqual(edgeError { _ = try ReplaySource.csv(tree.path("a.csv"), rate: 10) }?.message,
                       "'\(tree.path("a.csv"))' line 2: 'x' is not a finite number")
        tree.write("b.csv", "1,2\n3,4,5\n")
        XCTAssertEqual(edgeError { _ = try ReplaySource.csv(tree.path("b.csv"), rate: 10) }?.message,
                       "'\(tree.path("b.csv"))' line 2: 3 values, earlier rows have 2")
        tree.write("c.csv", "h1,h2\n")
        XCTAssertEqual(edgeError { _ = try ReplaySource.csv(tree.path("c.csv"), rate: 10) }?.message, "'\(tree.path("c.csv"))': no samples")
        tree.write("d.csv", "1,nan\n")
        XCTAssertNotNil(edgeError { _ = try ReplaySource.csv(tree.path("d.csv"), rate: 10) })
        XCTAssertNotNil(edgeError { _ = try ReplaySource(name: "m", values: [1], channels: 1, rate: 0) })
    }

    // MARK: stdin lines

    func testLinesFromAPipeSkipAndCountBadLines() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let text = "1,2,3\nnot numbers\n4 5 6\n7,8\n\n# comment\n9\t10\t11"
        _ = text.withCString { write(fds[1], $0, strlen($0)) }
        close(fds[1])
        let clock = VirtualClock(3)
        let src = try LineSource(fd: fds[0], name: "pipe", ownsDescriptor: true, clock: clock)
        let (samples, finished) = try drain(src)
        XCTAssertTrue(finished)
        XCTAssertEqual(samples.map(\.values), [[1, 2, 3], [4, 5, 6], [9, 10, 11]], "the last line needs no newline")
        XCTAssertEqual(samples.map(\.time), [3, 3, 3])
        XCTAssertEqual(src.rejectedCount, 2, "'not numbers' and the 2-value line")
        XCTAssertEqual(src.channelCount, 3)
        src.close()
    }

    func testLineSourceTimesOutOnAnIdlePipeAndSkipsOverlongLines() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[1]) }
        let src = try LineSource(fd: fds[0], name: "pipe", channels: 2, maxLineBytes: 16, ownsDescriptor: true)
        XCTAssertEqual(try src.read(timeout: 0.01), .timedOut)
        let long = String(repeating: "1,", count: 40) + "1\n"
        _ = (long + "5,6\n").withCString { write(fds[1], $0, strlen($0)) }
        let (samples, _) = try drain(src, count: 1)
        XCTAssertEqual(samples.map(\.values), [[5, 6]])
        XCTAssertEqual(src.rejectedCount, 1)
    }

    // MARK: UDP

    private func send(_ bytes: [UInt8], to port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr)
        let n = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        XCTAssertEqual(n, bytes.count)
    }

    private func f32le(_ values: [Float]) -> [UInt8] {
        values.flatMap { v -> [UInt8] in let b = v.bitPattern.littleEndian; return (0..<4).map { UInt8(truncatingIfNeeded: b >> (8 * $0)) } }
    }

    func testUDPTextDatagrams() throws {
        let src = try UDPSource(port: 0, payload: .text)
        XCTAssertNotEqual(src.boundPort, 0)
        XCTAssertEqual(src.name, "udp 127.0.0.1:\(src.boundPort) (text)")
        XCTAssertEqual(try src.read(timeout: 0.01), .timedOut)
        send(Array("1,2\n3 4\n".utf8), to: src.boundPort)
        send(Array("oops\n".utf8), to: src.boundPort)
        send(Array("5,6,7\n".utf8), to: src.boundPort)
        send(Array("8;9".utf8), to: src.boundPort)
        let (samples, _) = try drain(src, count: 3)
        XCTAssertEqual(samples.map(\.values), [[1, 2], [3, 4], [8, 9]])
        XCTAssertEqual(src.rejectedCount, 2, "the unparsable line and the 3-value line")
        src.close()
        XCTAssertEqual(try src.read(timeout: 0), .finished)
    }

    func testUDPFloat32Datagrams() throws {
        let src = try UDPSource(port: 0, payload: .float32LE, channels: 2)
        send(f32le([1.5, -2, 3, 4]), to: src.boundPort)        // two samples in one datagram
        send(Array(f32le([1, 2, 3])), to: src.boundPort)       // 3 values: not whole samples
        send(Array(f32le([7, 8]).prefix(7)), to: src.boundPort) // not a multiple of 4 bytes
        send(f32le([.infinity, 1]), to: src.boundPort)
        send(f32le([9, 10]), to: src.boundPort)
        let (samples, _) = try drain(src, count: 3)
        XCTAssertEqual(samples.map(\.values), [[1.5, -2], [3, 4], [9, 10]])
        XCTAssertEqual(src.rejectedCount, 3)
        XCTAssertEqual(src.datagrams, 5)
    }

    func testUDPBindErrorsNameTheAddress() throws {
        let first = try UDPSource(port: 0, payload: .text)
        let e = edgeError { _ = try UDPSource(port: first.boundPort, payload: .text) }
        XCTAssertEqual(e?.message, "UDP source: cannot bind 127.0.0.1:\(first.boundPort): Address already in use")
        XCTAssertEqual(edgeError { _ = try UDPSource(host: "localhost", port: 0, payload: .text) }?.message,
                       "UDP source: 'localhost' is not an IPv4 address")
    }

    // MARK: end to end on the sensor side

    func testReplayThroughWindowsIntoADropOldestQueue() throws {
        let clock = VirtualClock(0)
        var values: [Float] = []
        for i in 0..<100 { values += [Float(i), 2 * Float(i)] }
        let src = try ReplaySource(name: "mem", values: values, channels: 2, rate: 100, clock: clock)
        let queue = try BoundedQueue<SensorWindow>(capacity: 4)
        let p = try SensorPipeline(source: src, windower: try Windower(size: 10, hop: 5, channels: 2), queue: queue)
        try p.run(shouldStop: { false })   // nobody consumes: the queue keeps the 4 newest windows
        XCTAssertEqual(p.windows, 19)
        let s = queue.stats
        XCTAssertEqual(s.droppedOldest, 15)
        XCTAssertEqual(s.pushed, s.popped + UInt64(s.depth) + s.dropped)
        XCTAssertEqual(queue.pop(timeout: 0)?.sequence, 15)
        XCTAssertEqual(clock.t, 0.99, accuracy: 1e-9)
    }
}
