#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import EdgePruneCore

/// A fleet verification key: an Ed25519 public key and its key id.
public struct FleetPublicKey: Equatable, Sendable {
    /// The 32-byte raw public key.
    public let rawRepresentation: [UInt8]
    /// First 8 bytes of SHA-256(raw public key), as 16 lower-case hex characters.
    public let keyID: String

    public init(rawRepresentation raw: [UInt8]) throws {
        guard raw.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: raw)) != nil else {
            throw EdgePruneError(.format, "an Ed25519 public key has 32 bytes, got \(raw.count)")
        }
        rawRepresentation = raw
        keyID = FleetKeys.keyID(raw)
    }

    var key: Curve25519.Signing.PublicKey { try! Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation) }

    /// PEM "PUBLIC KEY" (X.509 SubjectPublicKeyInfo), readable by `openssl pkey -pubin`.
    public var pem: String { FleetKeys.pem("PUBLIC KEY", FleetKeys.spkiPrefix + rawRepresentation) }
}

/// A fleet signing key (operators only; a device never holds one).
public struct FleetSigningKey: Sendable {
    /// The 32-byte Ed25519 seed (kept as bytes: swift-crypto's key type is not Sendable).
    private let seed: [UInt8]
    public let publicKey: FleetPublicKey

    /// A new random key.
    public init() {
        let key = Curve25519.Signing.PrivateKey()
        seed = Array(key.rawRepresentation)
        publicKey = try! FleetPublicKey(rawRepresentation: Array(key.publicKey.rawRepresentation))
    }

    /// From the 32-byte Ed25519 seed.
    public init(seed: [UInt8]) throws {
        guard seed.count == 32 else { throw EdgePruneError(.format, "an Ed25519 private key has 32 bytes, got \(seed.count)") }
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        self.seed = seed
        publicKey = try FleetPublicKey(rawRepresentation: Array(key.publicKey.rawRepresentation))
    }

    public var keyID: String { publicKey.keyID }

    /// Ed25519 signature (64 bytes) over `message`.
    public func signature(for message: [UInt8]) throws -> [UInt8] {
        Array(try Curve25519.Signing.PrivateKey(rawRepresentation: seed).signature(for: message))
    }

    /// PEM "PRIVATE KEY" (PKCS #8 v1), readable by `openssl pkey`.
    public var pem: String { FleetKeys.pem("PRIVATE KEY", FleetKeys.pkcs8Prefix + seed) }
}

/// Key files: PEM, the same encodings OpenSSL uses for Ed25519 (`openssl genpkey -algorithm
/// ed25519` makes a private key this module reads; `openssl pkey -pubout` the public key).
public enum FleetKeys {
    /// File names `generate(into:)` writes.
    public static let privateKeyFileName = "fleet-signing.key"
    public static let publicKeyFileName = "fleet-signing.pub"

    /// DER prefixes of the fixed-size Ed25519 encodings (RFC 8410): PKCS #8 v1 without the
    /// optional public key, and SubjectPublicKeyInfo. The 32 key bytes follow.
    static let pkcs8Prefix: [UInt8] = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
                                       0x04, 0x22, 0x04, 0x20]
    static let spkiPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

    static func keyID(_ rawPublicKey: [UInt8]) -> String {
        DurableFile.hex(SHA256.hash(data: rawPublicKey).prefix(8))
    }

    /// `edgeprune keygen --out DIR`: creates DIR if needed and writes a new key pair there,
    /// the private key 0600 and the public key 0644, each atomically. Refuses to replace an
    /// existing private key (losing a fleet key locks every device out of updates) unless
    /// `overwrite`. Returns the paths and the key id.
    @discardableResult
    public static func generate(into directory: String, overwrite: Bool = false)
        throws -> (privateKeyPath: String, publicKeyPath: String, keyID: String) {
        try DurableFile.ensureDirectory(directory, mode: 0o755)
        let privatePath = directory + "/" + privateKeyFileName
        let publicPath = directory + "/" + publicKeyFileName
        if !overwrite && access(privatePath, F_OK) == 0 {
            throw EdgePruneError(.input, "'\(privatePath)' already exists; refusing to replace a signing key")
        }
        let key = FleetSigningKey()
        // Public key first: a crash in between leaves no private key without its public half.
        try DurableFile.write(Array(key.publicKey.pem.utf8), to: publicPath, mode: 0o644)
        try DurableFile.write(Array(key.pem.utf8), to: privatePath, mode: 0o600)
        return (privatePath, publicPath, key.keyID)
    }

    /// Loads a private key file. It must be PEM "PRIVATE KEY" holding an Ed25519 key and must
    /// not be readable by group or others (like ssh, a leaked key is refused, not used).
    public static func loadPrivateKey(_ path: String) throws -> FleetSigningKey {
        var st = stat()
        guard stat(path, &st) == 0 else { throw DurableFile.ioError("cannot open private key '\(path)'") }
        let mode = st.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw EdgePruneError(.input, "private key '\(path)' is accessible by group or others (mode \(String(mode, radix: 8))); run chmod 600 on it")
        }
        let der = try decodePEM(FileIO.read(path, maxBytes: 16 << 10), label: "PRIVATE KEY", path: path)
        guard der.count == pkcs8Prefix.count + 32, Array(der.prefix(pkcs8Prefix.count)) == pkcs8Prefix else {
            throw EdgePruneError(.format, "'\(path)' is not an Ed25519 private key (PKCS #8 v1, as `openssl genpkey -algorithm ed25519` writes)")
        }
        return try FleetSigningKey(seed: Array(der.suffix(32)))
    }

    /// Loads a public key file (PEM "PUBLIC KEY" holding an Ed25519 key).
    public static func loadPublicKey(_ path: String) throws -> FleetPublicKey {
        try parsePublicKey(FileIO.read(path, maxBytes: 16 << 10), source: path)
    }

    /// Parses PEM "PUBLIC KEY" text (e.g. pasted into a config file); `source` names it in errors.
    public static func parsePublicKey(_ pemBytes: [UInt8], source: String) throws -> FleetPublicKey {
        let der = try decodePEM(pemBytes, label: "PUBLIC KEY", path: source)
        guard der.count == spkiPrefix.count + 32, Array(der.prefix(spkiPrefix.count)) == spkiPrefix else {
            throw EdgePruneError(.format, "'\(source)' is not an Ed25519 public key (SubjectPublicKeyInfo)")
        }
        return try FleetPublicKey(rawRepresentation: Array(der.suffix(32)))
    }

    static func pem(_ label: String, _ der: [UInt8]) -> String {
        let b64 = Data(der).base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var rest = Substring(b64)
        while !rest.isEmpty { lines.append(String(rest.prefix(64))); rest = rest.dropFirst(64) }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }

    static func decodePEM(_ bytes: [UInt8], label: String, path: String) throws -> [UInt8] {
        let begin = Array("-----BEGIN \(label)-----".utf8), end = Array("-----END \(label)-----".utf8)
        guard let b = find(begin, in: bytes, from: 0), let e = find(end, in: bytes, from: b + begin.count) else {
            throw EdgePruneError(.format, "'\(path)' holds no PEM '\(label)' block")
        }
        let body = bytes[(b + begin.count)..<e].filter { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        guard let der = Data(base64Encoded: Data(body)) else {
            throw EdgePruneError(.format, "'\(path)': the PEM '\(label)' block is not valid base64")
        }
        return Array(der)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var i = start
        while i + needle.count <= haystack.count {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
