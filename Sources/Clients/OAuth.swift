import Curl
import Logging
import Messages

/// An OAuth 2 token endpoint's answer (`access_token`, `expires_in`), as Google and Zoom both send it.
enum OAuthTokenResponse {
    /// The token and its lifetime in seconds; nil when either is missing, empty or not positive.
    static func parse(_ text: String) -> (token: String, expiresIn: Double)? {
        guard let object = JSONValue.parse(text)?.objectValue,
            let token = object["access_token"]?.stringValue, !token.isEmpty,
            let expiresIn = object["expires_in"].flatMap({ $0.stringValue.flatMap(Double.init) }), expiresIn > 0
        else { return nil }
        return (token, expiresIn)
    }
}

/// The retry loop of a token request, as Google's and Zoom's endpoints share it: each attempt either gets the token
/// or a failure worth another try (a refusal is thrown by the attempt itself); a retryable failure is logged and
/// waited out with heartbeats (a wait inside a drain step keeps its lease), until `delay` or the retries give up.
/// Minting a second token is harmless (several may coexist), so even an ambiguous failure is retried.
enum OAuthTokenRequest {
    enum Outcome<Failure: Error> {
        case issued(token: String, expiresAt: Double)
        /// Try again, after the server's `Retry-After` if it sent one.
        case retryable(Failure, retryAfter: String?)
    }

    /// - Parameter delay: the wait before retry `attempt` (0-based); nil gives up (a `Retry-After` too long to wait).
    static func run<Failure: Error>(
        provider: String, retries: Int, logger: Logger, delay: (_ attempt: Int, _ retryAfter: String?) -> Double?,
        attempt: () throws -> Outcome<Failure>
    ) throws -> (token: String, expiresAt: Double) {
        var attempts = 0
        while true {
            switch try attempt() {
            case .issued(let token, let expiresAt):
                return (token, expiresAt)
            case .retryable(let failure, let retryAfter):
                guard attempts < retries, let wait = delay(attempts, retryAfter) else { throw failure }
                logger.warning(
                    "\(provider) token request failed; retrying",
                    metadata: ["error": "\(failure)", "retry.in": "\(wait)", "retry.attempt": "\(attempts + 1)"])
                TransferHeartbeat.sleep(seconds: wait)
                attempts += 1
            }
        }
    }
}
