public import FastCGI
import FoundationEssentials
public import Logging
import Messages
public import Platform
import Redis

/// `POST /webhook/tilda`: answer the `test=test` probe, authenticate, parse, de-duplicate on `tranid`
/// and queue. Tilda gives up after 5 s, so nothing slow happens here: the lead is written by the drain.
public struct TildaWebhookHandler {

    private let settings: AppConfig.Academy.Tilda
    private let dedupeSeconds: Int
    private let redis: LazyRedis
    private let clock: Clock
    private let logger: Logger

    public init(settings: AppConfig.Academy.Tilda, dedupeSeconds: Int, redis: LazyRedis, clock: Clock = .system, logger: Logger) {
        self.settings = settings
        self.dedupeSeconds = dedupeSeconds
        self.redis = redis
        self.clock = clock
        self.logger = logger
    }

    public func handle(_ request: FastCGIRequest) -> FastCGIResponse {
        switch self.examine(request) {
        case .answer(let response): return HTTPEdge.answered(response)
        // Not acknowledged on failure: Tilda retries twice, a minute apart.
        case .submission(let submission, let message):
            return HTTPEdge.enqueue(
                message, dedupeSeconds: self.dedupeSeconds, redis: self.redis, logger: self.logger,
                requestID: request.requestID
            ) { queued in
                self.logger.info(
                    "tilda lead queued",
                    metadata: [
                        "request.id": "\(request.requestID)", "tilda.tranid": "\(submission.tranid)", "duplicate": "\(!queued)",
                        "email": "\(Redact.email(submission.email ?? ""))", "phone": "\(Redact.phone(submission.phone ?? ""))",
                    ])
            }
        }
    }

    /// Everything before the queue: method, the probe, secret, body.
    public func decide(_ request: FastCGIRequest) -> WebhookDecision {
        switch self.examine(request) {
        case .answer(let response): .answer(response)
        case .submission(_, let message): .enqueue(message)
        }
    }

    private enum Examined {
        case answer(FastCGIResponse)
        case submission(TildaSubmission, WebhookMessage)
    }

    private func examine(_ request: FastCGIRequest) -> Examined {
        guard request.method == "POST" else { return .answer(HTTPEdge.methodNotAllowed(allowed: ["POST"])) }
        let fields: [String: String]
        do {
            fields = try TildaPayload.fields(body: request.body, contentType: request.contentType)
        } catch {
            let status = error.message.hasPrefix("send ") ? 415 : 400
            return .answer(HTTPEdge.error(status, status == 415 ? "unsupported_media_type" : "bad_request", error.message))
        }
        let payload: TildaPayload
        do {
            payload = try TildaPayload.parse(fields: fields, settings: self.settings, receivedAt: self.clock.now())
        } catch {
            // Authenticate before describing what is wrong with the body.
            if let denied = self.authenticate(request, fields: fields) { return .answer(denied) }
            return .answer(HTTPEdge.error(400, "bad_request", error.message))
        }
        // The probe has no side effects, and Tilda may send it before the secret is configured on its side.
        guard case .submission(let submission) = payload else { return .answer(HTTPEdge.ok(#""test":true"#)) }
        if let denied = self.authenticate(request, fields: fields) { return .answer(denied) }
        switch AcademyQueueMessage.tilda(submission).decision(conversation: submission.conversation, dedupeID: "tilda:" + submission.tranid)
        {
        case .answer(let response): return .answer(response)
        case .enqueue(let message): return .submission(submission, message)
        }
    }

    /// nil when the secret matches (header, form field or query parameter); otherwise the 401/403 answer.
    private func authenticate(_ request: FastCGIRequest, fields: [String: String]) -> FastCGIResponse? {
        let fieldValue = fields.first { $0.key.lowercased() == self.settings.secretField.lowercased() }?.value
        guard
            let presented = request.header(self.settings.secretHeader) ?? fieldValue
                ?? request.queryParameters[self.settings.secretQuery], !presented.isEmpty
        else {
            return HTTPEdge.error(401, "unauthorized", "the webhook secret is missing")
        }
        guard SecretCheck.matches(presented, self.settings.secret) else {
            self.logger.warning("tilda secret mismatch", metadata: ["request.id": "\(request.requestID)"])
            return HTTPEdge.error(403, "forbidden", "the webhook secret is wrong")
        }
        return nil
    }
}

extension AcademyQueueMessage {
    /// This message for the Academy queue, JSON-encoded as the drain decodes it (500 in the unexpected case that it
    /// cannot be encoded).
    func decision(conversation: String, dedupeID: String) -> WebhookDecision {
        guard let data = try? JSONEncoder().encode(self) else {
            return .answer(HTTPEdge.error(500, "internal", "the message could not be encoded"))
        }
        return .enqueue(
            WebhookMessage(
                payload: String(decoding: data, as: UTF8.self), queue: InboundQueue.academy, conversation: conversation, dedupeID: dedupeID)
        )
    }
}
