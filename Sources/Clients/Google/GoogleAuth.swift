import Crypto
public import Curl
import FoundationEssentials
public import Logging
public import Platform
import _CryptoExtras

/// Service-account access tokens for Google APIs, and authorised calls made with them.
///
/// A token is minted with the JWT-bearer grant (`GoogleJWT`), then cached twice: in Redis, shared by every process
/// (TTL = the usable lifetime, so it disappears before Google would refuse it), and in memory. The usable lifetime
/// is `expires_in` minus 4 minutes (minus half of it for very short tokens), so a token is replaced before it
/// expires, as Google's own library does. Token requests are retried on 408/429/5xx and transport failures; an
/// API call answered 401 gets one fresh token (skipping both caches) and is sent once more.
///
/// Owns no thread-safety: one instance per worker thread, like the `HTTPClient` it uses.
public final class GoogleAuth {
    public static let sheetsScope = "https://www.googleapis.com/auth/spreadsheets"
    public static let calendarScope = "https://www.googleapis.com/auth/calendar"

    private let account: GoogleSettings.ServiceAccount
    private let key: _RSA.Signing.PrivateKey
    private let tokenURL: String
    private let scopes: [String]
    let http: HTTPClient
    private let clock: Clock
    let logger: Logger
    private let retry: GoogleRetryPolicy
    let timeout: Double
    let connectTimeout: Double
    /// The shared token (one per account, token URL and scope set).
    private let tokens: SharedTokenCache
    /// Its Redis key.
    public var cacheKey: String { self.tokens.key }
    /// Token requests sent by this instance (every attempt), for logs and tests.
    public private(set) var tokenRequests = 0

    /// - Parameters:
    ///   - redis: the shared cache; nil keeps tokens in memory only. A Redis failure never fails a call.
    ///   - cacheKeyPrefix: tests use their own prefix so they do not share tokens with each other.
    public init(
        settings: GoogleSettings, scopes: [String], http: HTTPClient, redis: LazyRedis?, logger: Logger,
        clock: Clock = .system, retry: GoogleRetryPolicy = .tokenRequests, timeout: Double = 10,
        connectTimeout: Double = 5, cacheKeyPrefix: String = "google:token:"
    ) throws {
        self.account = settings.serviceAccount
        do {
            self.key = try _RSA.Signing.PrivateKey(pemRepresentation: settings.serviceAccount.privateKeyPEM)
        } catch {
            throw GoogleError(code: .tokenRejected, message: "the service-account private key does not load: \(error)")
        }
        self.tokenURL = settings.tokenURL
        self.scopes = scopes
        self.http = http
        self.clock = clock
        self.logger = logger
        self.retry = retry
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.tokens = SharedTokenCache(
            key: SharedTokenCache.key(
                prefix: cacheKeyPrefix, identity: [self.account.clientEmail, self.tokenURL, scopes.sorted().joined(separator: " ")]),
            redis: redis, clock: clock, logger: logger)
    }

    /// A valid access token: from memory, else from Redis, else freshly minted (and then shared).
    /// - Parameter forceRefresh: skip both caches (after Google refused the cached token with 401).
    public func accessToken(forceRefresh: Bool = false) throws -> String {
        try self.tokens.token(forceRefresh: forceRefresh) { try self.requestToken() }
    }

    /// Forgets `token` (in memory and in Redis, unless another process already replaced it there).
    public func invalidate(_ token: String) { self.tokens.invalidate(token) }

    /// Sends `request` with `Authorization: Bearer <token>`; a 401 answer gets one fresh token and one more try.
    /// Any other status is returned as is. Throws `GoogleError` (token) or `CurlError` (transport).
    public func perform(_ request: HTTPRequest) throws -> HTTPResponse {
        var token = try self.accessToken()
        let response = try self.http.perform(request.authorised(bearer: token))
        guard response.status == 401 else { return response }
        self.logger.info("google api answered 401: refreshing the token once", metadata: ["google.url": "\(Self.path(request.url))"])
        self.invalidate(token)
        token = try self.accessToken(forceRefresh: true)
        return try self.http.perform(request.authorised(bearer: token))
    }

    /// The URL without its query, for logs.
    static func path(_ url: String) -> Substring { url.prefix { $0 != "?" } }

    // MARK: Token endpoint

    /// Exchanges a fresh assertion for a token, retrying what Google's library retries.
    private func requestToken() throws -> (token: String, expiresAt: Double) {
        try OAuthTokenRequest.run(
            provider: "google", retries: self.retry.delays.count, logger: self.logger,
            delay: { self.retry.delay(after: $0, retryAfter: $1) }
        ) { () throws -> OAuthTokenRequest.Outcome<GoogleError> in
            let issuedAt = Int64(self.clock.now())
            let assertion: String
            do {
                assertion = try GoogleJWT.assertion(
                    account: self.account, key: self.key, scopes: self.scopes, audience: self.tokenURL, issuedAt: issuedAt)
            } catch {
                throw GoogleError(code: .tokenRejected, message: "signing the assertion failed: \(error)")
            }
            let body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + assertion
            let request = HTTPRequest(
                method: "POST", url: self.tokenURL,
                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
                body: Array(body.utf8), connectTimeout: self.connectTimeout, totalTimeout: self.timeout)
            self.tokenRequests += 1
            do {
                let response = try self.http.perform(request)
                if response.status == 200 {
                    let (token, expiresAt) = try self.parseToken(response)
                    return .issued(token: token, expiresAt: expiresAt)
                }
                let error = GoogleErrorBody.parse(response.text)
                let retryable =
                    [408, 429, 500, 502, 503, 504].contains(response.status)
                    || ["internal_failure", "server_error", "temporarily_unavailable"].contains { response.text.contains($0) }
                guard retryable else {
                    self.logger.error(
                        "google token request refused",
                        metadata: [
                            "http.status": "\(response.status)", "google.reason": "\(error.reason ?? "-")",
                            "google.message": "\(error.message)", "google.account": "\(self.account.clientEmail)",
                        ])
                    throw GoogleError(code: .tokenRejected, status: response.status, reason: error.reason, message: error.message)
                }
                return .retryable(
                    GoogleError(code: .unavailable, status: response.status, reason: error.reason, message: error.message),
                    retryAfter: response.header("retry-after"))
            } catch let error as CurlError {
                return .retryable(GoogleError(code: .unavailable, message: "\(error)", ambiguous: error.isAmbiguous), retryAfter: nil)
            }
        }
    }

    private func parseToken(_ response: HTTPResponse) throws -> (token: String, expiresAt: Double) {
        guard let (token, expiresIn) = OAuthTokenResponse.parse(response.text) else {
            throw GoogleError(code: .invalidResponse, status: response.status, message: "token response without access_token/expires_in")
        }
        self.logger.debug("google token issued", metadata: ["google.expires_in": "\(Int(expiresIn))"])
        return (token, self.clock.now() + Self.usableLifetime(expiresIn: expiresIn))
    }

    /// How long a token is used: `expires_in` less a margin of 4 minutes (at most half the lifetime).
    public static func usableLifetime(expiresIn: Double) -> Double { expiresIn - min(240, expiresIn / 2) }
}
