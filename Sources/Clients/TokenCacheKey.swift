import Crypto
public import Platform

extension SharedTokenCache {
    /// The Redis key for one credential set: `prefix` + the first 24 hex digits of SHA-256 over `identity`
    /// (never the credentials themselves).
    public static func key(prefix: String, identity: [String]) -> String {
        let digest = SHA256.hash(data: Array(identity.joined(separator: "\n").utf8)).map { byte in
            String(byte >> 4, radix: 16) + String(byte & 0xf, radix: 16)
        }.joined()
        return prefix + String(digest.prefix(24))
    }
}
