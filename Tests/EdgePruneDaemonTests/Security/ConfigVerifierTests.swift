@testable import EdgePruneDaemon
import EdgePruneCore
import Foundation
import XCTest

final class ConfigVerifierTests: XCTestCase {
    let key = FleetSigningKey()
    let config = "device: pi-07\nbudget:\n  latency_ms: 12\n"
    var verifier: ConfigVerifier {
        ConfigVerifier(trustedKeys: [key.publicKey], identity: DeviceIdentity(device: "pi-07", groups: ["lab", "floor-2"]))
    }

    private func envelope(_ target: ConfigTarget = .device("pi-07"), version: UInt64 = 5, signer: FleetSigningKey? = nil) throws -> [UInt8] {
        try ConfigSigner.sign(config: config, target: target, version: version, key: signer ?? key).bytes
    }

    private func assertRejected(_ bytes: [UInt8], current: UInt64 = 0, code: String,
                                file: StaticString = #filePath, line: UInt = #line) -> ConfigRejection? {
        do {
            let v = try verifier.verify(bytes, currentVersion: current)
            XCTFail("accepted: \(v)", file: file, line: line)
            return nil
        } catch {
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), "one-line message", file: file, line: line)
            return error
        }
    }

    func testValidDeviceAndGroupConfigsAreAccepted() throws {
        let v = try verifier.verify(envelope(), currentVersion: 4)
        XCTAssertEqual(v, VerifiedConfig(config: config, version: 5, target: .device("pi-07"), keyID: key.keyID))
        XCTAssertEqual(try verifier.verify(envelope(.group("floor-2"), version: 9), currentVersion: 5).target, .group("floor-2"))
    }

    func testCanonicalPayloadBytesAreExactlyAsDocumented() throws {
        let p = try ConfigPayload(config: "a: \"b\"\n\tc/é\u{1}", target: .group("lab"), version: 18_446_744_073_709_551_615)
        XCTAssertEqual(String(decoding: p.canonicalBytes, as: UTF8.self),
                       #"{"config":"a: \"b\"\n\tc/é\u0001","format":"edgeprune-config/1","target":{"group":"lab"},"version":18446744073709551615}"#)
        // Signing is deterministic: one payload, one envelope.
        XCTAssertEqual(try ConfigSigner.sign(config: "x", target: .device("d"), version: 1, key: key),
                       try ConfigSigner.sign(config: "x", target: .device("d"), version: 1, key: key))
        let v = try verifier.verify(ConfigSigner.sign(config: p.config, target: .device("pi-07"), version: .max, key: key).bytes,
                                    currentVersion: .max - 1)
        XCTAssertEqual(v.config, p.config)
        XCTAssertEqual(v.version, .max)
    }

    func testUnsignedConfigsAreRejected() throws {
        _ = assertRejected(Array(config.utf8), code: "unsigned")                       // bare YAML
        _ = assertRejected(Array(#"{"device":"pi-07","level":2}"#.utf8), code: "unsigned")  // bare JSON
        let e = try JSONSerialization.jsonObject(with: Data(envelope())) as! [String: String]
        let stripped = try JSONSerialization.data(withJSONObject: ["keyId": e["keyId"]!, "payload": e["payload"]!])
        _ = assertRejected(Array(stripped), code: "unsigned")
        let empty = try JSONSerialization.data(withJSONObject: ["keyId": e["keyId"]!, "payload": e["payload"]!, "signature": ""])
        _ = assertRejected(Array(empty), code: "unsigned")
    }

    func testBadSignaturesAreRejected() throws {
        let good = try SignedConfigEnvelope.parse(envelope())
        // A flipped bit in the signature, in the payload (a changed config), a short signature.
        var sig = good.signature
        sig[10] ^= 0x20
        _ = assertRejected(SignedConfigEnvelope(keyID: good.keyID, payload: good.payload, signature: sig).bytes, code: "bad-signature")
        let tampered = Array(String(decoding: good.payload, as: UTF8.self).replacingOccurrences(of: "12", with: "99").utf8)
        XCTAssertNotEqual(tampered, good.payload)
        _ = assertRejected(SignedConfigEnvelope(keyID: good.keyID, payload: tampered, signature: good.signature).bytes, code: "bad-signature")
        _ = assertRejected(SignedConfigEnvelope(keyID: good.keyID, payload: good.payload, signature: Array(good.signature.prefix(63))).bytes,
                           code: "bad-signature")
        // Signed by another key that claims the trusted key's id.
        let other = try SignedConfigEnvelope.parse(envelope(signer: FleetSigningKey()))
        _ = assertRejected(SignedConfigEnvelope(keyID: key.keyID, payload: other.payload, signature: other.signature).bytes, code: "bad-signature")
        // A signature over the bare payload, without the signing context.
        let bare = try key.signature(for: good.payload)
        _ = assertRejected(SignedConfigEnvelope(keyID: good.keyID, payload: good.payload, signature: bare).bytes, code: "bad-signature")
    }

    func testUnknownKeysAreRejected() throws {
        let stranger = FleetSigningKey()
        let r = assertRejected(try envelope(signer: stranger), code: "unknown-key")
        XCTAssertEqual(r, .unknownKey(keyID: stranger.keyID))
    }

    func testOlderOrEqualVersionsAreRollbacks() throws {
        XCTAssertEqual(assertRejected(try envelope(version: 5), current: 5, code: "rollback"), .rollback(version: 5, current: 5))
        XCTAssertEqual(assertRejected(try envelope(version: 4), current: 5, code: "rollback"), .rollback(version: 4, current: 5))
        XCTAssertNoThrow(try verifier.verify(envelope(version: 6), currentVersion: 5))
    }

    func testWrongTargetsAreRejected() throws {
        XCTAssertEqual(assertRejected(try envelope(.device("pi-08")), code: "wrong-target"), .wrongTarget(.device("pi-08"), device: "pi-07"))
        _ = assertRejected(try envelope(.group("kitchen")), code: "wrong-target")
    }

    func testMalformedEnvelopesAndPayloadsAreRejected() throws {
        _ = assertRejected(Array(#"{"keyId":"ab","payload":"#.utf8), code: "malformed")           // truncated JSON
        _ = assertRejected(Array(#"{"keyId":"ab","payload":"!!","signature":"AAAA"}"#.utf8), code: "malformed")
        _ = assertRejected(Array(#"{"payload":"AAAA","signature":"AAAA"}"#.utf8), code: "malformed")
        _ = assertRejected([UInt8](repeating: 0x20, count: (1 << 20) + 1), code: "malformed")     // over the size limit
        // Validly signed payloads that are not canonical or not config payloads.
        func signedRaw(_ payload: String) -> [UInt8] {
            let bytes = Array(payload.utf8)
            return SignedConfigEnvelope(keyID: key.keyID, payload: bytes,
                                        signature: try! key.signature(for: ConfigPayload.signingContext + bytes)).bytes
        }
        let canonical = #"{"config":"x","format":"edgeprune-config/1","target":{"device":"pi-07"},"version":7}"#
        XCTAssertNoThrow(try verifier.verify(signedRaw(canonical), currentVersion: 0))
        for (payload, why) in [
            (#"{"config":"x", "format":"edgeprune-config/1","target":{"device":"pi-07"},"version":7}"#, "not in canonical form"),
            (#"{"format":"edgeprune-config/1","config":"x","target":{"device":"pi-07"},"version":7}"#, "not in canonical form"),
            (#"{"config":"\u0078","format":"edgeprune-config/1","target":{"device":"pi-07"},"version":7}"#, "not in canonical form"),
            (#"{"config":"x","extra":1,"format":"edgeprune-config/1","target":{"device":"pi-07"},"version":7}"#, "not in canonical form"),
            (#"{"config":"x","format":"edgeprune-config/2","target":{"device":"pi-07"},"version":7}"#, "format"),
            (#"{"config":"x","format":"edgeprune-config/1","target":{"device":"pi-07","group":"lab"},"version":7}"#, "exactly one"),
            (#"{"config":"x","format":"edgeprune-config/1","target":{"device":"pi/07"},"version":7}"#, "target name"),
            (#"{"config":"x","format":"edgeprune-config/1","target":{"device":"pi-07"},"version":0}"#, "at least 1"),
            (#"{"config":"x","format":"edgeprune-config/1","target":{"device":"pi-07"},"version":-1}"#, "not a config payload"),
            (#"{"config":"x","format":"edgeprune-config/1","target":{"device":"pi-07"}}"#, "not a config payload"),
            ("[1,2]", "not a config payload"),
        ] {
            let r = assertRejected(signedRaw(payload), code: "malformed")
            XCTAssertTrue(r?.description.contains(why) ?? false, "\(payload): \(String(describing: r))")
        }
    }

    func testEveryRejectionHasADistinctCodeAndAOneLineMessage() {
        let all: [ConfigRejection] = [.unsigned("u"), .badSignature(keyID: "k"), .unknownKey(keyID: "k"),
                                      .rollback(version: 1, current: 2), .malformed("m"), .wrongTarget(.group("g"), device: "d")]
        XCTAssertEqual(Set(all.map(\.code)).count, all.count)
        for r in all {
            XCTAssertTrue(r.description.hasPrefix("config rejected (\(r.code.replacingOccurrences(of: "-", with: " ")))"), r.description)
        }
    }

    func testSignFileWritesAVerifiableEnvelopeAndRejectsBadInput() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("edgeprune-sign-\(getpid())-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let keys = try FleetKeys.generate(into: dir)
        try Data(config.utf8).write(to: URL(fileURLWithPath: dir + "/config.yaml"))
        try ConfigSigner.signFile(configPath: dir + "/config.yaml", privateKeyPath: keys.privateKeyPath, version: 3,
                                  target: .group("lab"), outputPath: dir + "/config.signed.json")
        let trusted = try FleetKeys.loadPublicKey(keys.publicKeyPath)
        let v = try ConfigVerifier(trustedKeys: [trusted], identity: DeviceIdentity(device: "x", groups: ["lab"]))
            .verify(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/config.signed.json"))), currentVersion: 2)
        XCTAssertEqual(v.config, config)
        XCTAssertEqual(v.keyID, keys.keyID)

        try Data([0x66, 0xFF, 0x0A]).write(to: URL(fileURLWithPath: dir + "/bad.yaml"))
        XCTAssertThrowsError(try ConfigSigner.signFile(configPath: dir + "/bad.yaml", privateKeyPath: keys.privateKeyPath, version: 3,
                                                       target: .group("lab"), outputPath: dir + "/out.json")) {
            XCTAssertTrue("\($0)".contains("not UTF-8"), "\($0)")
        }
        XCTAssertThrowsError(try ConfigSigner.signFile(configPath: dir + "/config.yaml", privateKeyPath: keys.privateKeyPath, version: 0,
                                                       target: .group("lab"), outputPath: dir + "/out.json"))
        XCTAssertThrowsError(try ConfigSigner.signFile(configPath: dir + "/config.yaml", privateKeyPath: keys.privateKeyPath, version: 1,
                                                       target: .device("a/b"), outputPath: dir + "/out.json"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out.json"), "failed signing writes nothing")
    }
}
