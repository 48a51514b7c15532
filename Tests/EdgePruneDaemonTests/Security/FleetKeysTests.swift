@testable import EdgePruneDaemon
import EdgePruneCore
import Foundation
import XCTest

final class FleetKeysTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("edgeprune-keys-\(getpid())-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(atPath: dir) }
    }

    private func mode(_ path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! Int
    }

    func testKeygenWritesAPrivateKeyOnlyTheOwnerCanReadAndRefusesToReplaceIt() throws {
        let old = umask(0)   // the private key must be 0600 whatever the umask
        defer { umask(old) }
        let keys = try FleetKeys.generate(into: dir + "/keys")
        XCTAssertEqual(keys.privateKeyPath, dir + "/keys/" + FleetKeys.privateKeyFileName)
        XCTAssertEqual(try mode(keys.privateKeyPath), 0o600)
        XCTAssertEqual(try mode(keys.publicKeyPath), 0o644)
        XCTAssertEqual(keys.keyID.count, 16)
        let priv = try FleetKeys.loadPrivateKey(keys.privateKeyPath)
        let pub = try FleetKeys.loadPublicKey(keys.publicKeyPath)
        XCTAssertEqual(priv.publicKey, pub)
        XCTAssertEqual(pub.keyID, keys.keyID)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/keys").sorted(),
                       [FleetKeys.privateKeyFileName, FleetKeys.publicKeyFileName], "no temporaries left")

        XCTAssertThrowsError(try FleetKeys.generate(into: dir + "/keys")) { XCTAssertTrue("\($0)".contains("refusing"), "\($0)") }
        XCTAssertEqual(try FleetKeys.loadPublicKey(keys.publicKeyPath), pub, "the refused keygen changed nothing")
        XCTAssertNotEqual(try FleetKeys.generate(into: dir + "/keys", overwrite: true).keyID, keys.keyID)
    }

    func testLoadingRefusesExposedOrForeignKeysWithClearErrors() throws {
        let keys = try FleetKeys.generate(into: dir)
        chmod(keys.privateKeyPath, 0o644)
        XCTAssertThrowsError(try FleetKeys.loadPrivateKey(keys.privateKeyPath)) { XCTAssertTrue("\($0)".contains("chmod 600"), "\($0)") }
        XCTAssertThrowsError(try FleetKeys.loadPrivateKey(dir + "/missing.key")) { XCTAssertTrue("\($0)".contains("missing.key"), "\($0)") }
        // A public key where a private key belongs, and the other way round.
        try FileManager.default.copyItem(atPath: keys.publicKeyPath, toPath: dir + "/pub-as-priv.key")
        chmod(dir + "/pub-as-priv.key", 0o600)
        XCTAssertThrowsError(try FleetKeys.loadPrivateKey(dir + "/pub-as-priv.key")) { XCTAssertTrue("\($0)".contains("no PEM 'PRIVATE KEY'"), "\($0)") }
        XCTAssertThrowsError(try FleetKeys.loadPublicKey(keys.privateKeyPath)) { XCTAssertTrue("\($0)".contains("no PEM 'PUBLIC KEY'"), "\($0)") }
        // An RSA-sized body under the right label.
        let fake = "-----BEGIN PUBLIC KEY-----\n" + Data(repeating: 1, count: 200).base64EncodedString() + "\n-----END PUBLIC KEY-----\n"
        XCTAssertThrowsError(try FleetKeys.parsePublicKey(Array(fake.utf8), source: "fleet.yaml")) {
            XCTAssertTrue("\($0)".contains("'fleet.yaml' is not an Ed25519 public key"), "\($0)")
        }
        XCTAssertThrowsError(try FleetKeys.parsePublicKey(Array("-----BEGIN PUBLIC KEY-----\n%%%\n-----END PUBLIC KEY-----".utf8), source: "x")) {
            XCTAssertTrue("\($0)".contains("not valid base64"), "\($0)")
        }
    }

    /// Interoperability with OpenSSL: a key from `openssl genpkey` loads here, and a signature made
    /// here verifies with `openssl pkeyutl` (so the PEM encodings and Ed25519 are the standard ones).
    func testKeysAndSignaturesInteroperateWithOpenSSL() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else {
            throw XCTSkip("/usr/bin/openssl not installed")
        }
        let priv = dir + "/openssl.key", pub = dir + "/openssl.pub", msg = dir + "/msg", sig = dir + "/sig"
        try openssl(["genpkey", "-algorithm", "ed25519", "-out", priv])
        chmod(priv, 0o600)
        try openssl(["pkey", "-in", priv, "-pubout", "-out", pub])
        let key = try FleetKeys.loadPrivateKey(priv)
        XCTAssertEqual(try FleetKeys.loadPublicKey(pub), key.publicKey)

        let envelope = try ConfigSigner.sign(config: "a: 1\n", target: .device("d1"), version: 2, key: key)
        try Data(ConfigPayload.signingContext + envelope.payload).write(to: URL(fileURLWithPath: msg))
        try Data(envelope.signature).write(to: URL(fileURLWithPath: sig))
        try openssl(["pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", msg, "-sigfile", sig])

        // And our public-key PEM reads in OpenSSL.
        try Data(key.publicKey.pem.utf8).write(to: URL(fileURLWithPath: dir + "/ours.pub"))
        try openssl(["pkeyutl", "-verify", "-pubin", "-inkey", dir + "/ours.pub", "-rawin", "-in", msg, "-sigfile", sig])
        // A changed message fails there too (the check above can fail).
        try Data(ConfigPayload.signingContext + envelope.payload + [0x20]).write(to: URL(fileURLWithPath: msg))
        XCTAssertThrowsError(try openssl(["pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", msg, "-sigfile", sig]))
    }

    private func openssl(_ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw EdgePruneError(.io, "openssl \(args.joined(separator: " ")) exited with \(p.terminationStatus)")
        }
    }
}
