#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EdgePruneCore

/// Which devices a signed config is for: one device, or every member of a group.
public enum ConfigTarget: Equatable, Hashable, Sendable, CustomStringConvertible {
    case device(String)
    case group(String)

    /// Device and group names: 1 to 64 characters of `A-Z a-z 0-9 . _ -` (safe in MQTT topics
    /// and file names).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy { b in
            (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
        }
    }

    public var name: String {
        switch self { case .device(let n), .group(let n): return n }
    }

    public var description: String {
        switch self {
        case .device(let n): return "device '\(n)'"
        case .group(let n): return "group '\(n)'"
        }
    }

    var json: CanonicalJSON {
        switch self {
        case .device(let n): return .object(["device": .string(n)])
        case .group(let n): return .object(["group": .string(n)])
        }
    }
}

/// The signed content of a fleet config update.
///
/// Canonical payload (CanonicalJSON rules), e.g.
///
///     {"config":"level: 2\n...","format":"edgeprune-config/1","target":{"device":"pi-07"},"version":42}
///
/// - `config`: the config document's text, verbatim (YAML or JSON; the config layer parses and
///   validates it after the signature has been checked);
/// - `format`: always "edgeprune-config/1";
/// - `target`: exactly one of `{"device": NAME}` or `{"group": NAME}`;
/// - `version`: UInt64, at least 1; a device accepts only versions above the last one it applied.
///
/// The Ed25519 signature covers `signingContext` followed by the payload bytes, so a signature
/// made by the same key for another purpose can never pass as a config signature.
public struct ConfigPayload: Equatable, Sendable {
    public static let format = "edgeprune-config/1"
    /// Prefix of the signed message (domain separation), ending with a NUL byte.
    public static let signingContext: [UInt8] = Array("EdgePrune signed config v1".utf8) + [0]

    public let config: String
    public let target: ConfigTarget
    public let version: UInt64

    public init(config: String, target: ConfigTarget, version: UInt64) throws {
        guard version >= 1 else { throw EdgePruneError(.input, "config version must be at least 1") }
        guard ConfigTarget.isValidName(target.name) else {
            throw EdgePruneError(.input, "target name '\(target.name)' must be 1-64 characters of A-Z a-z 0-9 . _ -")
        }
        self.config = config
        self.target = target
        self.version = version
    }

    /// The canonical bytes that are signed (after `signingContext`).
    public var canonicalBytes: [UInt8] {
        CanonicalJSON.object([
            "config": .string(config),
            "format": .string(Self.format),
            "target": target.json,
            "version": .integer(version),
        ]).bytes
    }

    /// The message the signature covers.
    var signedMessage: [UInt8] { Self.signingContext + canonicalBytes }

    private struct Wire: Decodable {
        let config: String
        let format: String
        let target: [String: String]
        let version: UInt64
    }

    /// Parses payload bytes; they must be exactly the canonical form (one payload, one byte
    /// string: no duplicate or unknown keys, no alternative escapes or spacing).
    static func parse(_ bytes: [UInt8]) throws(ConfigRejection) -> ConfigPayload {
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(bytes))
        } catch {
            throw .malformed("payload is not a config payload (needs config, format, target, version)")
        }
        guard wire.format == format else { throw .malformed("payload format '\(wire.format)', expected '\(format)'") }
        let target: ConfigTarget
        switch (wire.target.count, wire.target["device"], wire.target["group"]) {
        case (1, let d?, nil): target = .device(d)
        case (1, nil, let g?): target = .group(g)
        default: throw .malformed("payload target must be exactly one of {\"device\": NAME} or {\"group\": NAME}")
        }
        let payload: ConfigPayload
        do {
            payload = try ConfigPayload(config: wire.config, target: target, version: wire.version)
        } catch {
            throw .malformed("payload: \((error as? EdgePruneError)?.message ?? "\(error)")")
        }
        guard payload.canonicalBytes == bytes else { throw .malformed("payload is not in canonical form") }
        return payload
    }
}

/// The envelope carried over MQTT (retained on the desired-config topics) or stored in a file:
///
///     {"keyId":"1f0c…(16 hex)","payload":"<base64 of the canonical payload>","signature":"<base64 of 64 bytes>"}
///
/// The payload travels as base64 of its exact bytes, so the verifier checks the signature over
/// the bytes it received, never over a re-serialisation. Members beyond these three are ignored
/// (nothing outside the payload is trusted).
public struct SignedConfigEnvelope: Equatable, Sendable {
    public let keyID: String
    public let payload: [UInt8]
    public let signature: [UInt8]

    public init(keyID: String, payload: [UInt8], signature: [UInt8]) {
        self.keyID = keyID
        self.payload = payload
        self.signature = signature
    }

    /// The envelope as canonical JSON bytes (one line, no trailing newline).
    public var bytes: [UInt8] {
        CanonicalJSON.object([
            "keyId": .string(keyID),
            "payload": .string(Data(payload).base64EncodedString()),
            "signature": .string(Data(signature).base64EncodedString()),
        ]).bytes
    }

    private struct Wire: Decodable {
        let keyId: String?
        let payload: String?
        let signature: String?
    }

    /// Parses an envelope, classifying failures: a document that is not a JSON object with a
    /// `signature` member (a bare YAML or JSON config, say) is `.unsigned`; an object that has
    /// one but is broken is `.malformed`.
    static func parse(_ bytes: [UInt8]) throws(ConfigRejection) -> SignedConfigEnvelope {
        let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(bytes))
        } catch {
            if first == UInt8(ascii: "{") { throw .malformed("envelope is not valid JSON") }
            throw .unsigned("a bare document, not a signed envelope")
        }
        guard let sig = wire.signature, !sig.isEmpty else { throw .unsigned("the envelope has no signature") }
        guard let keyID = wire.keyId, !keyID.isEmpty else { throw .malformed("envelope has no keyId") }
        guard let payloadText = wire.payload else { throw .malformed("envelope has no payload") }
        guard let payload = Data(base64Encoded: payloadText) else { throw .malformed("envelope payload is not valid base64") }
        guard let signature = Data(base64Encoded: sig) else { throw .malformed("envelope signature is not valid base64") }
        return SignedConfigEnvelope(keyID: keyID, payload: Array(payload), signature: Array(signature))
    }
}
