import Platform

/// A failed Zoom call (token endpoint or API), after the retries the client allows.
///
/// `description` is terse (safe for any log line); `debugDescription` adds Zoom's message.
public struct ZoomError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
    /// What went wrong, extensible without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case tokenRejected, unavailable, rejected, invalidResponse, dailyLimit
        }
        fileprivate let base: Base
        /// The token endpoint refused the app's credentials (`invalid_client`, wrong account): fix the configuration.
        public static let tokenRejected = Code(base: .tokenRejected)
        /// Zoom could not be reached or kept answering 429/5xx: try again later.
        public static let unavailable = Code(base: .unavailable)
        /// Zoom refused the request (a 4xx other than rate limits): retrying the same request will not help.
        public static let rejected = Code(base: .rejected)
        /// A 2xx answer whose body is not what the API documents.
        public static let invalidResponse = Code(base: .invalidResponse)
        /// The user's daily create/update limit (100) is spent: nothing works until 00:00 UTC.
        public static let dailyLimit = Code(base: .dailyLimit)
        public var description: String { self.base.rawValue }
    }

    public let code: Code
    /// The HTTP status of the last answer; nil after a transport failure.
    public let status: Int?
    /// Zoom's own error code (`124` invalid token, `300` validation, `3001` no such meeting, ...).
    public let zoomCode: Int?
    /// Zoom's message or the transport error text (only in `debugDescription`).
    public let message: String
    /// True when a create may have been applied although no answer arrived (and a check could not rule it out).
    public let ambiguous: Bool

    public init(code: Code, status: Int? = nil, zoomCode: Int? = nil, message: String, ambiguous: Bool = false) {
        self.code = code
        self.status = status
        self.zoomCode = zoomCode
        self.message = message
        self.ambiguous = ambiguous
    }

    public var description: String {
        var parts = [self.code.description]
        if let status = self.status { parts.append("HTTP \(status)") }
        if let zoomCode = self.zoomCode { parts.append("code \(zoomCode)") }
        if self.ambiguous { parts.append("ambiguous") }
        return "ZoomError(" + parts.joined(separator: ", ") + ")"
    }

    public var debugDescription: String { self.description + ": " + self.message }
}

/// How often and how patiently a Zoom call is retried on 429, 5xx and transport failures.
public struct ZoomRetryPolicy: Sendable {
    /// Waits between attempts in seconds, before jitter: `delays.count + 1` attempts in all.
    public var delays: [Double]
    /// Each wait is scaled by a random factor in `1 ± jitter`.
    public var jitter: Double
    /// A `Retry-After` is honoured up to this many seconds; a longer one ends the retries.
    public var maximumRetryAfter: Double

    public init(delays: [Double], jitter: Double = 0.2, maximumRetryAfter: Double = 10) {
        self.delays = delays
        self.jitter = jitter
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// Calls made while a parent waits for the answer: a few seconds at most.
    public static let interactive = ZoomRetryPolicy(delays: [0.5, 1, 2])

    /// The wait before attempt `attempt + 1` (0-based `attempt` just failed); nil when `Retry-After` asks for more
    /// than `maximumRetryAfter`.
    func delay(after attempt: Int, retryAfter: String?) -> Double? {
        if let text = retryAfter?.trimmingSpaces, let seconds = Double(text), seconds >= 0 {
            return seconds <= self.maximumRetryAfter ? seconds : nil
        }
        let base = self.delays[min(attempt, self.delays.count - 1)]
        return max(0, base * Double.random(in: (1 - self.jitter)...(1 + self.jitter)))
    }
}
