import FoundationEssentials
public import Messages
public import Platform
public import _CryptoExtras

/// The service-account assertion for Google's JWT-bearer grant (RFC 7523): `base64url(header).base64url(claims).
/// base64url(signature)`, the signature being RSASSA-PKCS1-v1_5 with SHA-256 from swift-crypto.
///
/// Assembly (JSON, base64url) is plain formatting and pure, so it is unit-tested; signing is the library's.
public enum GoogleJWT {
    /// Google rejects assertions that live longer than an hour.
    public static let maximumLifetime: Int64 = 3600

    /// `{"alg":"RS256","typ":"JWT"}`.
    public static let header = JSONValue.object(["alg": .string("RS256"), "typ": .string("JWT")])

    /// The claim set: `iss`, `scope` (space-separated), `aud` (the token URL), `iat`, `exp = iat + lifetime`.
    public static func claims(issuer: String, scopes: [String], audience: String, issuedAt: Int64) -> JSONValue {
        .object([
            "iss": .string(issuer), "scope": .string(scopes.joined(separator: " ")), "aud": .string(audience),
            "iat": .integer(issuedAt), "exp": .integer(issuedAt + Self.maximumLifetime),
        ])
    }

    /// The signed part: `base64url(header) + "." + base64url(claims)`.
    public static func signingInput(claims: JSONValue) -> String {
        Self.base64URL(Array(Self.header.serialized.utf8)) + "." + Self.base64URL(Array(claims.serialized.utf8))
    }

    /// A complete signed assertion.
    public static func assertion(
        account: GoogleSettings.ServiceAccount, key: _RSA.Signing.PrivateKey, scopes: [String], audience: String,
        issuedAt: Int64
    ) throws -> String {
        let input = Self.signingInput(
            claims: Self.claims(issuer: account.clientEmail, scopes: scopes, audience: audience, issuedAt: issuedAt))
        let signature = try key.signature(for: Array(input.utf8), padding: .insecurePKCS1v1_5)
        return input + "." + Self.base64URL(Array(signature.rawRepresentation))
    }

    /// Base64 with the URL alphabet (`-`, `_`) and no padding (RFC 7515 §2).
    public static func base64URL(_ bytes: [UInt8]) -> String {
        let standard = Data(bytes).base64EncodedString()
        return String(
            standard.compactMap { character -> Character? in
                switch character {
                case "+": "-"
                case "/": "_"
                case "=": nil
                default: character
                }
            })
    }
}
