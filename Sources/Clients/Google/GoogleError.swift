/// A failed Google call (token endpoint, Sheets or Calendar), after the retries its policy allows.
///
/// `description` is terse (safe for any log line); `debugDescription` adds Google's message.
import Messages

public struct GoogleError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
    /// What went wrong, extensible without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case tokenRejected, unavailable, rejected, invalidResponse, calendarError
        }
        fileprivate let base: Base
        /// The token endpoint refused the assertion (`invalid_grant`: wrong key, clock skew, bad claims). Retrying
        /// does not help; fix the key file or the clock.
        public static let tokenRejected = Code(base: .tokenRejected)
        /// Google could not be reached or kept answering 429/5xx: try again later (nothing was lost).
        public static let unavailable = Code(base: .unavailable)
        /// Google refused the request (a 4xx other than rate limits): retrying the same request will not help.
        public static let rejected = Code(base: .rejected)
        /// A 2xx answer whose body is not what the API documents.
        public static let invalidResponse = Code(base: .invalidResponse)
        /// `freeBusy` answered 200 but reported an error for a calendar (e.g. `notFound`).
        public static let calendarError = Code(base: .calendarError)
        public var description: String { self.base.rawValue }
    }

    public let code: Code
    /// The HTTP status of the last answer; nil after a transport failure.
    public let status: Int?
    /// Google's machine-readable reason: `invalid_grant`, `RESOURCE_EXHAUSTED`, `rateLimitExceeded`, `notFound`, ...
    public let reason: String?
    /// Google's message or the transport error text (may quote the request; only in `debugDescription`).
    public let message: String
    /// True when the last attempt may have been applied although no answer arrived.
    public let ambiguous: Bool

    public init(code: Code, status: Int? = nil, reason: String? = nil, message: String, ambiguous: Bool = false) {
        self.code = code
        self.status = status
        self.reason = reason
        self.message = message
        self.ambiguous = ambiguous
    }

    public var description: String {
        var parts = [self.code.description]
        if let status = self.status { parts.append("HTTP \(status)") }
        if let reason = self.reason { parts.append(reason) }
        if self.ambiguous { parts.append("ambiguous") }
        return "GoogleError(" + parts.joined(separator: ", ") + ")"
    }

    public var debugDescription: String { self.description + ": " + self.message }
}

/// The interesting parts of a Google error body: `{"error": {"code", "message", "status", "errors": [{"reason"}]}}`
/// for APIs, `{"error": "invalid_grant", "error_description": "..."}` for the token endpoint.
struct GoogleErrorBody: Sendable, Equatable {
    /// `error.status` (`RESOURCE_EXHAUSTED`) or the OAuth `error` string (`invalid_grant`).
    var status: String?
    /// Every `error.errors[].reason` (`rateLimitExceeded`, `notFound`, ...).
    var reasons: [String]
    var message: String

    init(status: String? = nil, reasons: [String] = [], message: String = "") {
        self.status = status
        self.reasons = reasons
        self.message = message
    }

    /// Parses an error body; anything unparsable becomes a message of at most 200 characters.
    static func parse(_ text: String) -> GoogleErrorBody {
        guard let object = JSONValue.parse(text)?.objectValue else { return GoogleErrorBody(message: String(text.prefix(200))) }
        if case .string(let oauthError) = object["error"] {
            return GoogleErrorBody(status: oauthError, message: object["error_description"]?.stringValue ?? "")
        }
        guard let error = object["error"]?.objectValue else { return GoogleErrorBody(message: String(text.prefix(200))) }
        let reasons = (error["errors"]?.arrayValue ?? []).compactMap { $0.objectValue?["reason"]?.stringValue }
        return GoogleErrorBody(
            status: error["status"]?.stringValue, reasons: reasons, message: error["message"]?.stringValue ?? "")
    }

    /// The most specific reason for an error: the first `errors[].reason`, else `status`.
    var reason: String? { self.reasons.first ?? self.status }
}
