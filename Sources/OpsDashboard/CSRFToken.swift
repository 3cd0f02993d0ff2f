import Crypto
import Operations
public import Platform

/// The dashboard's settings: the secret its CSRF tokens are keyed with.
public struct OpsSettings: Sendable {
    public let csrfSecret: String

    /// Reads the secret; a bad environment is reported with every problem of the service's configuration too, so
    /// one start-up names everything to fix.
    public init(environment: [String: String]) throws(ConfigurationError) {
        var reader = EnvironmentReader(environment)
        self.csrfSecret = reader.secret("OPS_CSRF_SECRET", minimumLength: 32)
        var problems: [ConfigurationError.Problem] = []
        do { _ = try AppConfig(environment: environment) } catch { problems = error.problems }
        do { try reader.validate() } catch { problems += error.problems }
        if !problems.isEmpty { throw ConfigurationError(problems: problems) }
    }
}

/// A CSRF token for the dashboard's forms: `<issued unix seconds>.<HMAC-SHA256(secret, "ops-csrf:" + issued) in hex>`.
///
/// The page that shows a form issues a token; the POST must bring it back within `maxAgeSeconds`. Another site cannot
/// read the dashboard's pages (same-origin policy, and the pages sit behind basic auth), so it cannot make a token,
/// and without the secret nobody can forge one. The check is swift-crypto's constant-time MAC comparison.
public struct CSRFToken: Sendable {
    /// The secret's bytes (swift-crypto's `SymmetricKey` is not `Sendable`; one is made per use).
    private let secret: [UInt8]
    public let maxAgeSeconds: Double

    public init(secret: String, maxAgeSeconds: Double = 12 * 3600) {
        self.secret = Array(secret.utf8)
        self.maxAgeSeconds = maxAgeSeconds
    }

    public func issue(now: Double) -> String {
        let issued = String(Int64(now))
        return issued + "."
            + OperationsFormat.hex(
                Array(HMAC<SHA256>.authenticationCode(for: Self.message(issued), using: SymmetricKey(data: self.secret))))
    }

    public func isValid(_ token: String, now: Double) -> Bool {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let issued = Int64(parts[0]), let mac = Self.bytes(hex: parts[1]), mac.count == 32 else { return false }
        let age = now - Double(issued)
        guard age >= -60, age <= self.maxAgeSeconds else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(
            mac, authenticating: Self.message(String(issued)), using: SymmetricKey(data: self.secret))
    }

    private static func message(_ issued: String) -> [UInt8] { Array(("ops-csrf:" + issued).utf8) }

    private static func bytes(hex: Substring) -> [UInt8]? {
        guard hex.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            result.append(byte)
            index = next
        }
        return result
    }
}
