import Foundation
import XCTest
import EdgePruneCore
@testable import EdgePruneDevice

final class IIOTests: XCTestCase {
    /// An ADXL345-like accelerometer (iio:device0) and an ADS1015-like ADC (iio:device1).
    private func makeTree() -> FakeTree {
        let tree = FakeTree()
        let acc = "iio:device0/"
        tree.write(acc + "name", "adxl345\n")
        tree.write(acc + "in_accel_x_raw", "-12\n")
        tree.write(acc + "in_accel_y_raw", "3\n")
        tree.write(acc + "in_accel_z_raw", "256\n")
        tree.write(acc + "in_accel_scale", "0.038307\n")        // shared by type
        tree.write(acc + "in_accel_z_offset", "-6\n")           // channel-specific
        tree.write(acc + "in_temp_input", "23500\n")            // processed only
        let adc = "iio:device1/"
        tree.write(adc + "name", "ads1015\n")
        tree.write(adc + "in_voltage0_raw", "1000\n")
        tree.write(adc + "in_voltage0_scale", "3.0\n")
        tree.write(adc + "in_voltage1_raw", "garbage\n")
        tree.write(adc + "in_voltage10_raw", "7\n")
        return tree
    }

    func testChannelsScaleAndOffset() throws {
        let tree = makeTree()
        let dev = try IIODevice.find("adxl345", root: tree.root)
        XCTAssertEqual(dev.id, "iio:device0")
        XCTAssertEqual(dev.channels.map(\.id), ["accel_x", "accel_y", "accel_z", "temp"])
        let z = try dev.channel("accel_z")
        XCTAssertEqual(z.type, "accel")
        XCTAssertEqual(try dev.read(z), (256 - 6) * 0.038307, accuracy: 1e-12)
        XCTAssertEqual(try dev.read(dev.channel("accel_x")), -12 * 0.038307, accuracy: 1e-12)
        XCTAssertEqual(try dev.read(dev.channel("temp")), 23500, "processed values are read as they are")
        XCTAssertEqual(IIODevice.list(root: tree.root).map(\.name), ["adxl345", "ads1015"])
    }

    func testErrorsNameTheDeviceChannelOrFile() throws {
        let tree = makeTree()
        XCTAssertEqual(edgeError { _ = try IIODevice.find("bmi160", root: tree.root) }?.message,
                       "no IIO device named 'bmi160' under '\(tree.root)'; found iio:device0 (adxl345), iio:device1 (ads1015)")
        let adc = try IIODevice.find("iio:device1", root: tree.root)
        XCTAssertEqual(adc.channels.map(\.id), ["voltage0", "voltage1", "voltage10"], "natural order")
        XCTAssertEqual(edgeError { _ = try adc.channel("voltage3") }?.message,
                       "IIO device iio:device1 (ads1015) has no channel 'voltage3'; channels: voltage0, voltage1, voltage10")
        XCTAssertEqual(edgeError { _ = try adc.read(adc.channel("voltage1")) }?.message,
                       "'\(tree.root)/iio:device1/in_voltage1_raw' holds 'garbage', not a number")
        tree.write("iio:device1/in_voltage0_scale", "x\n")
        XCTAssertEqual(edgeError { _ = try IIODevice(path: tree.path("iio:device1")) }?.kind, .format)
    }

    func testSysfsPollingSourceOnAVirtualClock() throws {
        let tree = makeTree()
        let clock = VirtualClock(10)
        let dev = try IIODevice.find("adxl345", root: tree.root)
        let src = try IIOSysfsSource(device: dev, channels: ["accel_y", "accel_x"], interval: 0.01, clock: clock)
        XCTAssertEqual(src.channelCount, 2)
        let (samples, _) = try drain(src, count: 3)
        XCTAssertEqual(samples.map(\.time), [10, 10.01, 10.02].map { $0 }, "one sample per interval")
        XCTAssertEqual(samples[0].values, [Float(3 * 0.038307), Float(-12 * 0.038307)])
    }

    // MARK: scan types and records

    func testScanTypeParsing() throws {
        let t = try IIOScanType(parsing: "le:s12/16>>4\n", where: "x")
        XCTAssertEqual(t, IIOScanType(bigEndian: false, signed: true, bits: 12, storageBits: 16, shift: 4))
        XCTAssertEqual(try IIOScanType(parsing: "be:u24/32>>8", where: "x"),
                       IIOScanType(bigEndian: true, signed: false, bits: 24, storageBits: 32, shift: 8))
        XCTAssertEqual(try IIOScanType(parsing: "le:s16/16X3>>0", where: "x").repeatCount, 3)
        for bad in ["", "le:s12/16", "xe:s12/16>>4", "le:q12/16>>4", "le:s12/12>>0", "le:s16/16>>4", "le:s0/16>>0"] {
            let e = edgeError { _ = try IIOScanType(parsing: bad, where: "scan_elements/in_accel_x_type") }
            XCTAssertEqual(e?.kind, .format, bad)
            XCTAssertTrue(e?.message.hasPrefix("'scan_elements/in_accel_x_type' holds '\(bad)'") ?? false, e?.message ?? "")
        }
    }

    func testDecodeEndiannessSignShiftAndMask() throws {
        func decode(_ type: String, _ bytes: [UInt8]) throws -> Int64 {
            let t = try IIOScanType(parsing: type, where: "x")
            return bytes.withUnsafeBytes { t.decode($0.baseAddress!) }
        }
        // -5 as 12 bits, shifted up 4, little-endian, low nibble garbage: 0xFFB << 4 | 0x7 = 0xFFB7.
        XCTAssertEqual(try decode("le:s12/16>>4", [0xB7, 0xFF]), -5)
        XCTAssertEqual(try decode("le:u12/16>>4", [0xB7, 0xFF]), 0xFFB)
        XCTAssertEqual(try decode("be:s16/16>>0", [0xFF, 0xFE]), -2)
        XCTAssertEqual(try decode("be:u10/16>>6", [0x80, 0x40]), 0x201)
        XCTAssertEqual(try decode("le:s8/8>>0", [0x80]), -128)
        XCTAssertEqual(try decode("le:s24/32>>0", [0x00, 0x00, 0x80, 0x55]), -8_388_608, "bits above realbits are masked")
        XCTAssertEqual(try decode("le:s64/64>>0", [1, 0, 0, 0, 0, 0, 0, 0x80]), Int64.min + 1)
    }

    func testLayoutAlignsEachElementToItsSize() throws {
        func element(_ id: String, _ index: Int, _ type: String) throws -> IIOScanElement {
            IIOScanElement(id: id, index: index, type: try IIOScanType(parsing: type, where: id), byteOffset: 0, scale: 1, offset: 0)
        }
        // u8 at 0, s16 aligned to 2, s32 aligned to 4, timestamp aligned to 8; record padded to 8.
        let layout = try IIOScanLayout(elements: [
            try element("timestamp", 3, "le:s64/64>>0"), try element("b", 1, "le:s16/16>>0"),
            try element("a", 0, "le:u8/8>>0"), try element("c", 2, "le:s32/32>>0"),
        ])
        XCTAssertEqual(layout.elements.map(\.id), ["a", "b", "c", "timestamp"])
        XCTAssertEqual(layout.elements.map(\.byteOffset), [0, 2, 4, 8])
        XCTAssertEqual(layout.recordBytes, 16)
        let three = try IIOScanLayout(elements: [try element("x", 0, "le:s16/16>>0"), try element("y", 1, "le:s16/16>>0"),
                                                 try element("z", 2, "le:s16/16>>0")])
        XCTAssertEqual(three.recordBytes, 6)
    }

    // MARK: buffered device

    /// Adds scan_elements and buffer/ to the accelerometer: x, y, z as le:s12/16>>4 (indices
    /// 0..2) and a timestamp (index 3).
    private func addBuffer(_ tree: FakeTree) {
        let s = "iio:device0/scan_elements/"
        for (i, axis) in ["x", "y", "z"].enumerated() {
            tree.write(s + "in_accel_\(axis)_en", "0\n")
            tree.write(s + "in_accel_\(axis)_type", "le:s12/16>>4\n")
            tree.write(s + "in_accel_\(axis)_index", "\(i)\n")
        }
        tree.write(s + "in_timestamp_en", "0\n")
        tree.write(s + "in_timestamp_type", "le:s64/64>>0\n")
        tree.write(s + "in_timestamp_index", "3\n")
        tree.write("iio:device0/buffer/enable", "0\n")
        tree.write("iio:device0/buffer/length", "2\n")
    }

    /// A record with accel_x, accel_z and the timestamp enabled: x at 0, z at 2, timestamp at 8
    /// (aligned to 8), 16 bytes; the low nibble under each 12-bit value is noise the shift removes.
    private func packed(_ x: Int16, _ z: Int16, ns: Int64) -> [UInt8] {
        var r: [UInt8] = []
        for v in [x, z] { let w = UInt16(bitPattern: v << 4) | 0xA; r += [UInt8(w & 0xFF), UInt8(w >> 8)] }
        r += [0, 0, 0, 0]
        for i in 0..<8 { r.append(UInt8(truncatingIfNeeded: ns >> (8 * i))) }
        return r
    }

    func testBufferSourceConfiguresTheDeviceAndDecodesRecords() throws {
        let tree = makeTree()
        addBuffer(tree)
        let dev = try IIODevice.find("adxl345", root: tree.root)
        // Two whole records and half of a third (a truncated recording).
        var data = packed(-5, 2047, ns: 1_500_000_000) + packed(0, 1, ns: 1_510_000_000)
        data += packed(1, 1, ns: 0).prefix(7)
        let bufferFile = tree.path("dev-iio-device0")
        XCTAssertTrue(FileManager.default.createFile(atPath: bufferFile, contents: Data(data)))
        let src = try IIOBufferSource(device: dev, channels: ["accel_x", "accel_z"], bufferLength: 64, devicePath: bufferFile)
        XCTAssertEqual(src.layout.recordBytes, 16)
        XCTAssertEqual(src.channelCount, 2)
        XCTAssertEqual(try SysfsFile.readText(tree.path("iio:device0/buffer/enable")), "1")
        XCTAssertEqual(try SysfsFile.readText(tree.path("iio:device0/buffer/length")), "64")
        let en = ["x", "y", "z", "timestamp"].map { axis in
            try? SysfsFile.readText(tree.path(axis == "timestamp" ? "iio:device0/scan_elements/in_timestamp_en"
                                              : "iio:device0/scan_elements/in_accel_\(axis)_en"))
        }
        XCTAssertEqual(en, ["1", "0", "1", "1"], "chosen channels and the timestamp are enabled, y is not")
        let (samples, finished) = try drain(src)
        XCTAssertTrue(finished)
        XCTAssertEqual(samples.count, 2)
        XCTAssertEqual(src.rejectedCount, 1, "the half record is counted, not decoded")
        XCTAssertEqual(samples[0].time, 1.5, accuracy: 1e-9)
        src.close()
        XCTAssertEqual(try SysfsFile.readText(tree.path("iio:device0/buffer/enable")), "0", "close disables the buffer")
    }

    func testBufferRecordsArePackedFromEnabledChannelsOnly() throws {
        let tree = makeTree()
        addBuffer(tree)
        let dev = try IIODevice.find("adxl345", root: tree.root)
        let file = tree.path("buf")
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data(packed(-5, 2047, ns: 2_000_000_000) + packed(-2048, 6, ns: 2_000_500_000))))
        let src = try IIOBufferSource(device: dev, channels: ["accel_x", "accel_z"], devicePath: file)
        XCTAssertEqual(src.layout.elements.map(\.byteOffset), [0, 2, 8])
        let (samples, finished) = try drain(src)
        XCTAssertTrue(finished)
        let scale = 0.038307
        XCTAssertEqual(samples.map(\.time), [2.0, 2.0005])
        XCTAssertEqual(samples[0].values, [Float(-5 * scale), Float((2047 - 6) * scale)])
        XCTAssertEqual(samples[1].values, [Float(-2048 * scale), Float((6 - 6) * scale)])
        XCTAssertEqual(src.rejectedCount, 0)
    }

    func testBufferSetupErrors() throws {
        let tree = makeTree()
        let dev = try IIODevice.find("adxl345", root: tree.root)
        XCTAssertTrue(edgeError { _ = try IIOBufferSource(device: dev, channels: nil, devicePath: "/dev/null") }?
            .message.contains("has no scan elements") ?? false)
        addBuffer(tree)
        XCTAssertEqual(edgeError { _ = try IIOBufferSource(device: dev, channels: ["accel_w"], devicePath: "/dev/null") }?.message,
                       "IIO device iio:device0 (adxl345) has no scan element 'accel_w'; available: accel_x, accel_y, accel_z, timestamp")
        let missing = edgeError { _ = try IIOBufferSource(device: dev, channels: ["accel_x"], devicePath: tree.path("nope")) }
        XCTAssertEqual(missing?.message, "cannot open IIO buffer '\(tree.path("nope"))': No such file or directory")
        XCTAssertEqual(try SysfsFile.readText(tree.path("iio:device0/buffer/enable")), "0", "a failed start leaves the buffer off")
        tree.write("iio:device0/scan_elements/in_accel_y_type", "le:s12/8>>4\n")
        XCTAssertEqual(edgeError { _ = try IIOBufferSource(device: dev, channels: ["accel_y"], devicePath: "/dev/null") }?.kind, .format)
    }
}
