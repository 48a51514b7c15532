import Foundation
import XCTest
import EdgePruneCore
@testable import EdgePruneDevice

final class GPIOTests: XCTestCase {
    // MARK: the real libgpiod backend (no GPIO chip exists on build machines)

    func testShimIsBuiltAgainstTheInstalledLibgpiod() {
        // Debian 12 / this machine: libgpiod 1.6 → the v1 implementation of the shim.
        XCTAssertEqual(LibgpiodBackend.apiMajor, LibgpiodBackend.libraryVersion.hasPrefix("1.") ? 1 : 2)
        XCTAssertTrue(LibgpiodBackend().description.hasPrefix("libgpiod \(LibgpiodBackend.libraryVersion)"))
    }

    func testOpeningAMissingChipNamesItAndTheReason() {
        let e = edgeError { _ = try LibgpiodBackend().openChip("gpiochip97") }
        XCTAssertEqual(e?.kind, .io)
        XCTAssertEqual(e?.message, "cannot open GPIO chip 'gpiochip97': No such file or directory")
        let p = edgeError { _ = try LibgpiodBackend().openChip("/nonexistent/gpiochip0") }
        XCTAssertEqual(p?.message, "cannot open GPIO chip '/nonexistent/gpiochip0': No such file or directory")
    }

    func testOpeningSomethingThatIsNotAGPIOChipIsRefused() {
        let e = edgeError { _ = try LibgpiodBackend().openChip("/dev/null") }
        XCTAssertEqual(e?.kind, .io)
        XCTAssertTrue(e?.message.hasPrefix("cannot open GPIO chip '/dev/null': ") ?? false, e?.message ?? "")
    }

    // MARK: the fake chip

    func testFakeBackendOpensByNameNumberAndPath() throws {
        let chip = FakeGPIOChip(name: "gpiochip4", lineCount: 8)
        let backend = FakeGPIOBackend(chips: [chip])
        XCTAssertTrue(try backend.openChip("gpiochip4") === chip)
        XCTAssertTrue(try backend.openChip("4") === chip)
        XCTAssertTrue(try backend.openChip("/dev/gpiochip4") === chip)
        XCTAssertEqual(edgeError { _ = try backend.openChip("gpiochip0") }?.message,
                       "cannot open GPIO chip 'gpiochip0': No such file or directory")
    }

    func testRequestsAreCheckedLikeTheKernelDoes() throws {
        let chip = FakeGPIOChip(lineCount: 8, lineNames: ["GPIO17": 5])
        XCTAssertEqual(try chip.lineOffset(named: "GPIO17"), 5)
        XCTAssertEqual(edgeError { _ = try chip.lineOffset(named: "GPIO99") }?.message, "GPIO chip 'gpiochip0': line 'GPIO99': no such line")
        XCTAssertEqual(edgeError { _ = try chip.requestInputs([8], flags: []) }?.message,
                       "GPIO chip 'gpiochip0' has 8 lines; line 8 does not exist")
        XCTAssertNotNil(edgeError { _ = try chip.requestInputs([1, 1], flags: []) })
        XCTAssertNotNil(edgeError { _ = try chip.requestInputs([1], flags: [.pullUp, .pullDown]) })
        let held = try chip.requestInputs([1, 2], flags: [.pullUp])
        let busy = edgeError { _ = try chip.requestOutputs([2], initial: [0], flags: []) }
        XCTAssertTrue(busy?.message.contains("Device or resource busy") ?? false)
        held.release()
        XCTAssertFalse(chip.isRequested(2))
        XCTAssertNoThrow(try chip.requestOutputs([2], initial: [1], flags: []))
        XCTAssertNotNil(edgeError { _ = try held.getValues() }, "a released request refuses reads")
    }

    func testEdgeTriggeredSourceReadsInputsAtEachEdge() throws {
        let chip = FakeGPIOChip(lineCount: 8)
        chip.setLevel(3, 1)
        let source = try GPIOSource(chip: chip, inputs: [3, 4], trigger: .edges(lines: [0], edge: .both))
        XCTAssertEqual(source.channelCount, 3)
        XCTAssertEqual(try source.read(timeout: 0), .timedOut)
        chip.injectEdge(0, rising: true, timestampNs: 5_000_000_000)
        chip.setLevel(4, 1)
        chip.injectEdge(0, rising: false, timestampNs: 5_500_000_000)
        chip.injectEdge(6, rising: true)   // not watched: no sample
        let (samples, _) = try drain(source, count: 2)
        XCTAssertEqual(samples, [SensorSample(time: 5.0, values: [1, 1, 1]), SensorSample(time: 5.5, values: [0, 1, 1])])
        XCTAssertEqual(try source.read(timeout: 0), .timedOut)
        XCTAssertEqual(source.edgeCount, 2)
        source.close()
        XCTAssertFalse(chip.isRequested(0))
        XCTAssertFalse(chip.isRequested(3))
        XCTAssertEqual(try source.read(timeout: 0), .finished)
    }

    func testRisingOnlyRequestIgnoresFallingEdges() throws {
        let chip = FakeGPIOChip(lineCount: 4)
        let source = try GPIOSource(chip: chip, inputs: [], trigger: .edges(lines: [1, 2], edge: .rising))
        chip.injectEdge(1, rising: false)
        chip.injectEdge(2, rising: true, timestampNs: 7_000_000_000)
        let (samples, _) = try drain(source, count: 1)
        XCTAssertEqual(samples, [SensorSample(time: 7, values: [1])])
        XCTAssertEqual(try source.read(timeout: 0), .timedOut)
    }

    func testEdgeFromAnotherThreadWakesTheSource() throws {
        let chip = FakeGPIOChip(lineCount: 4)
        let source = try GPIOSource(chip: chip, inputs: [], trigger: .edges(lines: [0], edge: .falling))
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.02)
            chip.injectEdge(0, rising: false, timestampNs: 42)
        }
        // Generous timeout: the wait ends as soon as the event arrives.
        guard case .sample(let s) = try source.read(timeout: 10) else { return XCTFail("no sample") }
        XCTAssertEqual(s.values, [0])
        XCTAssertEqual(s.time, 42e-9)
    }

    func testTriggerLineCannotAlsoBeAnInput() {
        let chip = FakeGPIOChip(lineCount: 4)
        XCTAssertEqual(edgeError { _ = try GPIOSource(chip: chip, inputs: [1], trigger: .edges(lines: [1], edge: .both)) }?.message,
                       "GPIO chip 'gpiochip0': line 1 is both a trigger and an input; use different lines")
        XCTAssertFalse(chip.isRequested(1), "a refused source holds no line")
    }

    func testIntervalSamplingOnAVirtualClock() throws {
        let chip = FakeGPIOChip(lineCount: 4)
        let clock = VirtualClock(100)
        let source = try GPIOSource(chip: chip, inputs: [2], trigger: .interval(seconds: 0.5), clock: clock)
        chip.setLevel(2, 1)
        guard case .sample(let a) = try source.read(timeout: 1) else { return XCTFail() }
        chip.setLevel(2, 0)
        XCTAssertEqual(try source.read(timeout: 0.1), .timedOut, "next tick is 0.5 s away")
        guard case .sample(let b) = try source.read(timeout: 1) else { return XCTFail() }
        XCTAssertEqual([a.time, b.time], [100, 100.5])
        XCTAssertEqual([a.values, b.values], [[1], [0]])
    }

    func testBackendFaultSurfacesAsAnError() throws {
        let chip = FakeGPIOChip(lineCount: 4)
        let source = try GPIOSource(chip: chip, inputs: [], trigger: .edges(lines: [0], edge: .both))
        chip.failNextCall(with: EdgePruneError(.io, "GPIO chip 'gpiochip0' lines [0]: waiting for edge events failed: No such device"))
        XCTAssertEqual(edgeError { _ = try source.read(timeout: 0) }?.message,
                       "GPIO chip 'gpiochip0' lines [0]: waiting for edge events failed: No such device")
    }

    // MARK: output sink

    func testOutputSinkDrivesTheMappedValueAndWritesOnlyOnChange() throws {
        let chip = FakeGPIOChip(lineCount: 8)
        let led = try GPIOOutputSink(chip: chip, line: 5, onClasses: [3, 7])
        XCTAssertEqual(chip.level(5), 0, "starts off")
        XCTAssertFalse(try led.emit(classIndex: 1))
        XCTAssertTrue(try led.emit(classIndex: 3))
        XCTAssertFalse(try led.emit(classIndex: 7))
        XCTAssertEqual(chip.level(5), 1)
        XCTAssertTrue(try led.emit(classIndex: 0))
        XCTAssertEqual(chip.level(5), 0)
        XCTAssertEqual(led.writes, 2)
        XCTAssertEqual(chip.outputWrites.map(\.value), [0, 1, 0])
        led.release()
        XCTAssertFalse(chip.isRequested(5))
        XCTAssertNotNil(edgeError { _ = try led.emit(classIndex: 3) })
    }

    func testMultiLineOutputAndActiveLowRelay() throws {
        let chip = FakeGPIOChip(lineCount: 8)
        let rgb = try GPIOOutputSink(chip: chip, lines: [0, 1, 2], mapping: [0: [1, 0, 0], 1: [0, 1, 0]], otherwise: [0, 0, 1])
        try rgb.emit(classIndex: 1)
        XCTAssertEqual([chip.level(0), chip.level(1), chip.level(2)], [0, 1, 0])
        try rgb.emit(classIndex: 9)
        XCTAssertEqual(rgb.current, [0, 0, 1])
        // A relay board switched by a low level: on = 0.
        let relay = try GPIOOutputSink(chip: chip, line: 6, onClasses: [2], on: 0)
        XCTAssertEqual(chip.level(6), 1)
        try relay.emit(classIndex: 2)
        XCTAssertEqual(chip.level(6), 0)
    }

    func testBadOutputMappingIsRefusedBeforeAnyLineIsTaken() {
        let chip = FakeGPIOChip(lineCount: 8)
        let e = edgeError { _ = try GPIOOutputSink(chip: chip, lines: [0, 1], mapping: [4: [1]], otherwise: [0, 0]) }
        XCTAssertEqual(e?.message, "GPIO output on 'gpiochip0' lines [0, 1]: class 4 must be 2 value(s) of 0 or 1, got [1]")
        XCTAssertFalse(chip.isRequested(0))
    }
}
