public import Curl
import FoundationEssentials
import Messages
public import Platform
import Redis
import Storage

/// One email through Resend's `POST /emails`.
public struct OutgoingEmail: Sendable, Equatable {
    public var to: String
    public var subject: String
    public var html: String
    public var text: String
    /// One key per logical email (`email1/<lead id>`): Resend answers a repeat within 24 h with the
    /// original response instead of sending again, which makes every retry safe.
    public var idempotencyKey: String

    public init(to: String, subject: String, html: String, text: String, idempotencyKey: String) {
        self.to = to
        self.subject = subject
        self.html = html
        self.text = text
        self.idempotencyKey = idempotencyKey
    }
}

/// Resend's verdict on one email.
public enum EmailSendResult: Sendable, Equatable {
    case sent(id: String)
    /// Worth retrying later with the same key (429, 5xx, network, a 409 while the key's first request is running).
    case retryable(error: String)
    /// Resend refused the email itself (4xx other than 429): retrying cannot help.
    case rejected(error: String)
    /// Not sent: the caller's `permit` said the email is no longer wanted before an attempt.
    case withdrawn
}

/// Sends email through Resend: Bearer key, an Idempotency-Key per logical email, a requests-per-second
/// limit shared by every process through Redis, 429 waits for `retry-after`, 5xx, timeouts and a 409
/// `concurrent_idempotent_requests` retried with the same key, other 4xx not retried.
public struct ResendClient {
    private let settings: AppConfig.Academy.Email
    private let http: HTTPClient
    private let redis: LazyRedis
    private let limiter: SlidingWindowLimiter
    private let clock: Clock
    private let timeout: Double
    private let connectTimeout: Double
    /// Waits between the attempts of one `send` (a job's later runs retry further).
    private let retryDelays: [Double]

    public init(
        settings: AppConfig.Academy.Email, timeout: Double, connectTimeout: Double, http: HTTPClient, redis: LazyRedis,
        clock: Clock = .system, retryDelays: [Double] = [1, 2]
    ) {
        self.settings = settings
        self.http = http
        self.redis = redis
        self.limiter = SlidingWindowLimiter(name: "resend", limit: settings.ratePerSecond, windowSeconds: 1)
        self.clock = clock
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.retryDelays = retryDelays
    }

    /// The JSON body Resend expects.
    public func body(_ email: OutgoingEmail) -> String {
        JSONText.encode(
            SendEmailRequest(from: self.settings.from, to: [email.to], subject: email.subject, html: email.html, text: email.text))
    }

    /// `POST /emails`.
    struct SendEmailRequest: Encodable {
        var from: String
        var to: [String]
        var subject: String
        var html: String
        var text: String
    }

    /// One attempt's request, run by a `Permit`: the verdict and how long to wait before the next attempt.
    public typealias Post = () -> (result: EmailSendResult, wait: Double)
    /// Decides, right before each attempt's request, whether the email is still wanted: runs `post` (holding whatever
    /// lock keeps the answer true meanwhile) and returns its outcome, or returns nil without posting. Throwing
    /// counts as a retryable failure of the attempt.
    public typealias Permit = (_ post: Post) throws -> (result: EmailSendResult, wait: Double)?

    /// Sends `email`, retrying 429/5xx/network failures a few times inline with the same key.
    /// - Parameter permit: asked before every attempt (the first and each retry); nil ends the send with `.withdrawn`.
    public func send(_ email: OutgoingEmail, heartbeat: () -> Void = {}, permit: Permit = { post in post() }) -> EmailSendResult {
        var result = EmailSendResult.retryable(error: "not attempted")
        for attempt in 0...self.retryDelays.count {
            heartbeat()
            var wait = attempt < self.retryDelays.count ? self.retryDelays[attempt] : 0
            (result, wait) = self.attempt(email, defaultWait: wait, permit: permit)
            guard case .retryable = result, attempt < self.retryDelays.count else { return result }
            // A long Retry-After is the job's backoff to honour, not a thread's to sleep through.
            guard wait <= Outbox.Policy.defaultMaxInlineWaitSeconds else { return result }
            sleepSeconds(wait)
        }
        return result
    }

    private func attempt(_ email: OutgoingEmail, defaultWait: Double, permit: Permit) -> (EmailSendResult, Double) {
        do {
            if let wait = try self.redis.with({ try self.limiter.acquire(maxWaitSeconds: 10, clock: self.clock, on: $0) }) {
                return (.retryable(error: "rate limit: no slot for \(Int(wait.rounded(.up))) s"), max(defaultWait, wait))
            }
        } catch {
            return (.retryable(error: "rate limiter unavailable: \(error)"), defaultWait)
        }
        do {
            // Asked after the rate limiter's wait, so the permit's lock is held for the request alone.
            guard let outcome = try permit({ self.post(email, defaultWait: defaultWait) }) else { return (.withdrawn, 0) }
            return outcome
        } catch {
            return (.retryable(error: "resend: could not check the email is still wanted: \(error)"), defaultWait)
        }
    }

    private func post(_ email: OutgoingEmail, defaultWait: Double) -> (result: EmailSendResult, wait: Double) {
        let request = HTTPRequest(
            method: "POST", url: self.settings.apiURL + "/emails",
            headers: [
                ("Authorization", "Bearer " + self.settings.apiKey), ("Content-Type", "application/json"),
                ("Idempotency-Key", email.idempotencyKey), ("User-Agent", "chatbots/\(ChatbotsVersion.current)"),
            ],
            body: Array(self.body(email).utf8), connectTimeout: self.connectTimeout, totalTimeout: self.timeout)
        let response: HTTPResponse
        do {
            response = try self.http.perform(request)
        } catch {
            // Even an ambiguous failure is safe to retry: the Idempotency-Key stops a second send.
            return (.retryable(error: "resend: \(error)"), defaultWait)
        }
        let envelope = JSONValue.parse(response.text)?.objectValue
        let message = envelope?["message"]?.stringValue ?? envelope?["name"]?.stringValue ?? "non-JSON answer"
        switch response.status {
        case 200..<300:
            guard let id = envelope?["id"]?.stringValue else { return (.retryable(error: "resend \(response.status): no id"), defaultWait) }
            return (.sent(id: id), 0)
        case 429:
            let wait = response.header("retry-after").flatMap(Double.init) ?? max(defaultWait, 1)
            _ = try? self.redis.with { try self.limiter.pause(seconds: wait, on: $0) }
            return (.retryable(error: "resend 429: \(message)"), wait)
        case 408, 500...599:
            return (.retryable(error: "resend \(response.status): \(message)"), defaultWait)
        case 409 where envelope?["name"]?.stringValue == "concurrent_idempotent_requests":
            // Another request with this key (an earlier attempt Resend is still working on) has not finished; once
            // it has, a retry gets its original answer. Other 409s (`invalid_idempotent_request`: the key was used
            // for a different email) cannot succeed and stay rejected.
            return (.retryable(error: "resend 409: \(message)"), defaultWait)
        default:
            return (.rejected(error: "resend \(response.status): \(message)"), 0)
        }
    }
}
