import EdgePruneCore

/// Signing, for `edgeprune sign`.
public enum ConfigSigner {
    /// Signs `config` for `target` at `version` and returns the envelope.
    public static func sign(config: String, target: ConfigTarget, version: UInt64,
                            key: FleetSigningKey) throws -> SignedConfigEnvelope {
        let payload = try ConfigPayload(config: config, target: target, version: version)
        let signature = try key.signature(for: payload.signedMessage)
        return SignedConfigEnvelope(keyID: key.keyID, payload: payload.canonicalBytes, signature: signature)
    }

    /// `edgeprune sign CONFIG --key PRIV --version N (--device ID | --group NAME) -o OUT`: reads
    /// the config document (UTF-8 text, at most `maxConfigBytes`), signs it and writes the
    /// envelope (plus a newline) to `outputPath` atomically. Returns the envelope.
    @discardableResult
    public static func signFile(configPath: String, privateKeyPath: String, version: UInt64,
                                target: ConfigTarget, outputPath: String,
                                maxConfigBytes: Int = 512 << 10) throws -> SignedConfigEnvelope {
        let key = try FleetKeys.loadPrivateKey(privateKeyPath)
        let bytes = try FileIO.read(configPath, maxBytes: maxConfigBytes)
        let text = String(decoding: bytes, as: UTF8.self)
        guard Array(text.utf8) == bytes else {
            throw EdgePruneError(.input, "'\(configPath)' is not UTF-8 text")
        }
        let envelope = try sign(config: text, target: target, version: version, key: key)
        try DurableFile.write(envelope.bytes + [0x0A], to: outputPath, mode: 0o644)
        return envelope
    }
}
