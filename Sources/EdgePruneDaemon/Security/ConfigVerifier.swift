import Crypto
import EdgePruneCore

/// Why a config update was refused. Every case has a stable `code` (for the reported state on
/// MQTT and for metrics) and a one-line `description` (for the log and the reason field).
public enum ConfigRejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a signed envelope, or one without a signature.
    case unsigned(String)
    /// The signature does not verify with the key the envelope names.
    case badSignature(keyID: String)
    /// The envelope names a key this device does not trust.
    case unknownKey(keyID: String)
    /// The version is not above the one already applied: a replay or a rollback attempt.
    case rollback(version: UInt64, current: UInt64)
    /// Broken envelope or payload (bad JSON, base64, missing fields, non-canonical payload, too
    /// large).
    case malformed(String)
    /// Signed for another device, or for a group this device is not in.
    case wrongTarget(ConfigTarget, device: String)

    public var code: String {
        switch self {
        case .unsigned: return "unsigned"
        case .badSignature: return "bad-signature"
        case .unknownKey: return "unknown-key"
        case .rollback: return "rollback"
        case .malformed: return "malformed"
        case .wrongTarget: return "wrong-target"
        }
    }

    public var description: String {
        switch self {
        case .unsigned(let why):
            return "config rejected (unsigned): \(why); fleet configs must be signed with `edgeprune sign`"
        case .badSignature(let keyID):
            return "config rejected (bad signature): the signature does not verify with key \(keyID)"
        case .unknownKey(let keyID):
            return "config rejected (unknown key): key \(keyID) is not among this device's trusted fleet keys"
        case .rollback(let version, let current):
            return "config rejected (rollback): version \(version) is not above the applied version \(current)"
        case .malformed(let why):
            return "config rejected (malformed): \(why)"
        case .wrongTarget(let target, let device):
            return "config rejected (wrong target): signed for \(target), this is device '\(device)'"
        }
    }
}

/// Who this device is, for matching a config's target.
public struct DeviceIdentity: Equatable, Sendable {
    public let device: String
    public let groups: Set<String>

    public init(device: String, groups: Set<String> = []) {
        self.device = device
        self.groups = groups
    }

    public func matches(_ target: ConfigTarget) -> Bool {
        switch target {
        case .device(let d): return d == device
        case .group(let g): return groups.contains(g)
        }
    }
}

/// A config update that passed every check; apply it, then persist `config` with `version`
/// (StateStore.setConfig) so the version floor survives restarts.
public struct VerifiedConfig: Equatable, Sendable {
    public let config: String
    public let version: UInt64
    public let target: ConfigTarget
    public let keyID: String
}

/// Checks signed config envelopes against the fleet public keys in the device's local config.
///
/// Order of checks: size, envelope (unsigned / malformed), key id (unknown key), Ed25519
/// signature over `ConfigPayload.signingContext + payload` (bad signature), payload (malformed;
/// parsed only once its signature has verified), target (wrong target), version (rollback).
/// Verification is pure: it changes nothing, so a rejected update leaves the device as it was.
public struct ConfigVerifier: Sendable {
    public let trustedKeys: [String: FleetPublicKey]
    public let identity: DeviceIdentity
    public let maxEnvelopeBytes: Int

    /// `trustedKeys`: usually one fleet key; more than one during a key rotation.
    public init(trustedKeys: [FleetPublicKey], identity: DeviceIdentity, maxEnvelopeBytes: Int = 1 << 20) {
        self.trustedKeys = Dictionary(trustedKeys.map { ($0.keyID, $0) }, uniquingKeysWith: { a, _ in a })
        self.identity = identity
        self.maxEnvelopeBytes = maxEnvelopeBytes
    }

    /// Verifies `envelope` for a device whose applied config version is `currentVersion`.
    public func verify(_ envelope: [UInt8], currentVersion: UInt64) throws(ConfigRejection) -> VerifiedConfig {
        guard envelope.count <= maxEnvelopeBytes else {
            throw .malformed("envelope has \(envelope.count) bytes, over the \(maxEnvelopeBytes)-byte limit")
        }
        let e = try SignedConfigEnvelope.parse(envelope)
        guard let key = trustedKeys[e.keyID] else { throw .unknownKey(keyID: e.keyID) }
        guard e.signature.count == 64,
              key.key.isValidSignature(e.signature, for: ConfigPayload.signingContext + e.payload) else {
            throw .badSignature(keyID: e.keyID)
        }
        let payload = try ConfigPayload.parse(e.payload)
        guard identity.matches(payload.target) else { throw .wrongTarget(payload.target, device: identity.device) }
        guard payload.version > currentVersion else {
            throw .rollback(version: payload.version, current: currentVersion)
        }
        return VerifiedConfig(config: payload.config, version: payload.version, target: payload.target, keyID: e.keyID)
    }
}
