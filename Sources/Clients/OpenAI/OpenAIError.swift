public import Curl
import FoundationEssentials
import Messages

/// A failed OpenAI call, classified once so callers can tell a retryable hiccup from a refusal.
///
/// `description` is terse (code, status, OpenAI's `error.code`); OpenAI's own message is only in
/// `debugDescription`. Neither ever carries the API key or the conversation.
public struct OpenAIError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
    /// What went wrong, extensible without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case rateLimited, insufficientQuota, unauthorized, badRequest, serverError, transport, timeout
            case malformedResponse, noContent
        }
        fileprivate let base: Base
        /// 429 `rate_limit_exceeded` (or `slow_down`): the account's RPM/TPM window is full for now.
        public static let rateLimited = Code(base: .rateLimited)
        /// 429 `insufficient_quota` (or a spend limit): billing, not load; retrying cannot help.
        public static let insufficientQuota = Code(base: .insufficientQuota)
        /// 401/403: a wrong key or a forbidden project or region.
        public static let unauthorized = Code(base: .unauthorized)
        /// Any other 4xx: the request itself is wrong (model name, parameter, audio format).
        public static let badRequest = Code(base: .badRequest)
        /// 5xx (and 408/409, which the official SDK retries too).
        public static let serverError = Code(base: .serverError)
        /// No complete answer: connection refused, dropped, or a TLS problem.
        public static let transport = Code(base: .transport)
        /// The request was sent and no answer came within the timeout.
        public static let timeout = Code(base: .timeout)
        /// 2xx whose body is not the expected JSON (a truncated answer).
        public static let malformedResponse = Code(base: .malformedResponse)
        /// A well-formed answer without usable text (`content: null`, a refusal, an empty transcription).
        public static let noContent = Code(base: .noContent)
        public var description: String { self.base.rawValue }
    }

    public let code: Code
    /// The HTTP status, when the server answered.
    public let status: Int?
    /// OpenAI's `error.type` and `error.code`, when the body had them.
    public let type: String?
    public let apiCode: String?
    /// OpenAI's `error.message` or the transport's message (debug output only).
    public let message: String
    /// Whether another attempt may succeed (after `retryAfter` when the server named a wait).
    public let isRetryable: Bool
    /// The wait the server asked for (`retry-after-ms`, else `retry-after` in seconds).
    public let retryAfter: Double?

    public init(
        code: Code, status: Int? = nil, type: String? = nil, apiCode: String? = nil, message: String,
        isRetryable: Bool, retryAfter: Double? = nil
    ) {
        self.code = code
        self.status = status
        self.type = type
        self.apiCode = apiCode
        self.message = message
        self.isRetryable = isRetryable
        self.retryAfter = retryAfter
    }

    public var description: String {
        var parts = [self.code.description]
        if let status = self.status { parts.append("status \(status)") }
        if let code = self.apiCode ?? self.type { parts.append(code) }
        return "OpenAIError(\(parts.joined(separator: ", ")))"
    }

    public var debugDescription: String { self.description + ": " + self.message }

    /// `error.type` / `error.code` values of a 429 that mean billing, not load (API_REFERENCE §7).
    static let quotaCodes: Set<String> = [
        "insufficient_quota", "billing_hard_limit_reached", "billing_not_active", "credit_balance_exhausted",
        "organization_spend_limit_exceeded", "project_spend_limit_exceeded", "access_terminated",
    ]

    /// Classifies an HTTP answer that was not a success.
    ///
    /// Retryable: 429 rate limits, 408, 409 and 5xx, like the official SDK; never a quota 429. A server
    /// header `x-should-retry: true|false` overrides that decision.
    public static func classify(status: Int, headers: [String: String], body: [UInt8]) -> OpenAIError {
        let error = JSONValue.parse(String(decoding: body, as: UTF8.self))?.objectValue?["error"]?.objectValue
        let type = error?["type"]?.stringValue
        let apiCode = error?["code"]?.stringValue
        let message = error?["message"]?.stringValue ?? "HTTP \(status) without an OpenAI error body"
        let code: Code
        var retryable: Bool
        switch status {
        case 429:
            let quota = [type, apiCode].contains { $0.map(Self.quotaCodes.contains) ?? false }
            code = quota ? .insufficientQuota : .rateLimited
            retryable = !quota
        case 401, 403:
            code = .unauthorized
            retryable = false
        case 408, 409, 500...:
            code = .serverError
            retryable = true
        default:
            code = .badRequest
            retryable = false
        }
        switch headers["x-should-retry"]?.lowercased() {
        case "true": retryable = true
        case "false": retryable = false
        default: break
        }
        return OpenAIError(
            code: code, status: status, type: type, apiCode: apiCode, message: message, isRetryable: retryable,
            retryAfter: Self.retryAfter(headers))
    }

    /// Classifies a transport failure: connection problems are retried, a timeout is not (the parent has
    /// already waited the whole timeout once).
    public static func classify(_ error: CurlError) -> OpenAIError {
        switch error.code {
        case .timedOutAfterSend:
            return OpenAIError(code: .timeout, message: error.debugDescription, isRetryable: false)
        case .couldNotConnect, .connectionLostAfterSend:
            return OpenAIError(code: .transport, message: error.debugDescription, isRetryable: true)
        default:
            return OpenAIError(code: .transport, message: error.debugDescription, isRetryable: false)
        }
    }

    /// The wait the server asked for: `retry-after-ms` (milliseconds) first, then `retry-after` in seconds.
    /// Non-positive or unparsable values (including the rare HTTP-date form) count as absent.
    static func retryAfter(_ headers: [String: String]) -> Double? {
        if let text = headers["retry-after-ms"], let milliseconds = Double(text), milliseconds > 0,
            milliseconds.isFinite
        {
            return milliseconds / 1000
        }
        if let text = headers["retry-after"], let seconds = Double(text), seconds > 0, seconds.isFinite {
            return seconds
        }
        return nil
    }
}

/// How often and how long to retry an OpenAI call (the SDK's policy, with a chat bot's patience).
public struct OpenAIRetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// Without a server-named wait: `baseDelay × 2^(attempt-1)`, capped at `maxDelay`, minus up to `jitter` of it.
    public var baseDelay: Double
    public var maxDelay: Double
    public var jitter: Double
    /// A server asking for a longer wait is not waited for: the call fails at once (the SDK's cap is
    /// 120 s, far too long for someone waiting in a chat).
    public var maxRetryAfter: Double

    public init(
        maxAttempts: Int = 3, baseDelay: Double = 0.5, maxDelay: Double = 8, jitter: Double = 0.25,
        maxRetryAfter: Double = 20
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.maxRetryAfter = maxRetryAfter
    }

    /// The wait before the next attempt after `attempt` (1-based) failed with `error`, or nil to give up.
    /// - Parameter random: a sample in 0..<1 for the jitter.
    public func delay(after error: OpenAIError, attempt: Int, random: Double) -> Double? {
        guard error.isRetryable, attempt < self.maxAttempts else { return nil }
        if let requested = error.retryAfter {
            return requested <= self.maxRetryAfter ? requested : nil
        }
        let backoff = min(self.maxDelay, self.baseDelay * Double(1 << min(max(attempt - 1, 0), 20)))
        return backoff * (1 - self.jitter * min(max(random, 0), 1))
    }
}
