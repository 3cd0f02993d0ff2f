import Curl
import FoundationEssentials
import Logging
import Messages
import Platform

extension ZoomClient {
    /// A valid access token: from memory, else from Redis, else freshly requested (and then shared).
    /// - Parameter forceRefresh: skip both caches (after Zoom refused the cached token with 401 code 124).
    public func accessToken(forceRefresh: Bool = false) throws -> String {
        try self.tokens.token(forceRefresh: forceRefresh) { try self.requestToken() }
    }

    /// Forgets `token` (in memory and in Redis, unless another process already replaced it there).
    public func invalidate(_ token: String) { self.tokens.invalidate(token) }

    /// How long a token is used: `expires_in` less 5 minutes (at most half the lifetime).
    public static func usableLifetime(expiresIn: Double) -> Double { expiresIn - min(300, expiresIn / 2) }

    /// `POST /oauth/token?grant_type=account_credentials&account_id=…` with Basic auth; retried on transport
    /// failures, 408, 429 and 5xx (a second token is harmless: several may coexist).
    private func requestToken() throws -> (token: String, expiresAt: Double) {
        let credentials = Data((self.settings.clientID + ":" + self.settings.clientSecret).utf8).base64EncodedString()
        let request = HTTPRequest(
            method: "POST",
            url: self.settings.oauthURL + "/oauth/token?grant_type=account_credentials&account_id="
                + GoogleAuth.percentEncoded(self.settings.accountID),
            headers: [("Authorization", "Basic " + credentials), ("Accept", "application/json")],
            body: [], connectTimeout: self.connectTimeout, totalTimeout: self.timeout)
        return try OAuthTokenRequest.run(
            provider: "zoom", retries: self.retry.delays.count, logger: self.logger,
            delay: { self.retry.delay(after: $0, retryAfter: $1) }
        ) { () throws -> OAuthTokenRequest.Outcome<ZoomError> in
            self.tokenRequests += 1
            do {
                let response = try self.http.perform(request)
                if response.status == 200 {
                    let (token, expiresAt) = try self.parseToken(response)
                    return .issued(token: token, expiresAt: expiresAt)
                }
                guard [408, 429, 500, 502, 503, 504].contains(response.status) else {
                    let object = JSONValue.parse(response.text)?.objectValue
                    let reason =
                        object?["reason"]?.stringValue ?? object?["error"]?.stringValue ?? "HTTP \(response.status)"
                    self.logger.error(
                        "zoom token request refused: check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET",
                        metadata: [
                            "http.status": "\(response.status)", "zoom.reason": "\(reason)",
                        ])
                    throw ZoomError(code: .tokenRejected, status: response.status, message: "token: \(reason)")
                }
                return .retryable(
                    ZoomError(code: .unavailable, status: response.status, message: "token: HTTP \(response.status)"),
                    retryAfter: response.header("retry-after"))
            } catch let error as CurlError {
                return .retryable(ZoomError(code: .unavailable, message: "token: \(error)"), retryAfter: nil)
            }
        }
    }

    private func parseToken(_ response: HTTPResponse) throws -> (token: String, expiresAt: Double) {
        guard let (token, expiresIn) = OAuthTokenResponse.parse(response.text) else {
            throw ZoomError(
                code: .invalidResponse, status: response.status,
                message: "token response without access_token/expires_in")
        }
        self.logger.debug("zoom token issued", metadata: ["zoom.expires_in": "\(Int(expiresIn))"])
        return (token, self.clock.now() + Self.usableLifetime(expiresIn: expiresIn))
    }
}
