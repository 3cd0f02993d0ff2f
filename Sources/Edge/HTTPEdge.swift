public import FastCGI
public import Logging
import Messages
public import Platform
public import Redis

/// Small JSON error answers shared by every responder, so each edge maps errors the same way.
public enum HTTPEdge {
    /// `{"error": code, "message": text}` with the given status.
    public static func error(_ status: Int, _ code: String, _ message: String, headers: [String: String] = [:]) -> FastCGIResponse {
        .json(status, "{\"error\":\(JSONText.quote(code)),\"message\":\(JSONText.quote(message))}", headers: headers)
    }

    /// 405 naming the allowed methods.
    public static func methodNotAllowed(allowed: [String]) -> FastCGIResponse {
        self.error(
            405, "method_not_allowed", "use \(allowed.joined(separator: " or "))",
            headers: ["Allow": allowed.joined(separator: ", ")])
    }

    /// Queues one webhook message (de-duplicated by its `dedupeID`, atomically with the enqueue) and answers:
    /// 200 `"queued":true`, 200 `"duplicate":true`, or 503 with Retry-After when Redis cannot take it, so the
    /// platform retries and nothing was half-stored. `queued` reports a new message (false for a duplicate).
    public static func enqueue(
        _ message: WebhookMessage, dedupeSeconds: Int, redis: any RedisScriptRunner, logger: Logger, requestID: String,
        queued onQueued: (Bool) -> Void = { _ in }
    ) -> FastCGIResponse {
        do {
            // The runner may reconnect and try again: the dedupe key turns an applied first attempt into a duplicate.
            let queued = try message.queue.enqueue(
                message.payload, conversation: message.conversation, dedupeID: message.dedupeID,
                dedupeSeconds: dedupeSeconds, metricsRoute: Metrics.shared.webhookRoute, on: redis)
            onQueued(queued)
            return self.ok(queued ? #""queued":true"# : #""queued":false,"duplicate":true"#)
        } catch {
            logger.error("enqueue failed", metadata: ["request.id": "\(requestID)", "queue": "\(message.queue.name)", "error": "\(error)"])
            self.count("503")
            return self.error(503, "unavailable", "the queue is unavailable, retry later", headers: ["Retry-After": "5"])
        }
    }

    /// Counts a webhook answered without queueing anything: `ignored` for a 200, else its status code (queued and
    /// duplicate webhooks are counted by the enqueue script itself).
    public static func answered(_ response: FastCGIResponse) -> FastCGIResponse {
        self.count(response.status == 200 ? "ignored" : String(response.status))
        return response
    }

    private static func count(_ outcome: String) {
        guard let route = Metrics.shared.webhookRoute else { return }
        Metrics.shared.add(MetricCatalog.webhooks, [("route", route), ("outcome", outcome)])
    }

    /// 200 `{"ok":true}` plus optional fields.
    public static func ok(_ extra: String = "") -> FastCGIResponse {
        .json(200, extra.isEmpty ? #"{"ok":true}"# : "{\"ok\":true,\(extra)}")
    }
}

/// A message a webhook handler decided to queue.
public struct WebhookMessage: Sendable {
    public var payload: String
    public var queue: InboundQueue
    public var conversation: String
    public var dedupeID: String

    public init(payload: String, queue: InboundQueue, conversation: String, dedupeID: String) {
        self.payload = payload
        self.queue = queue
        self.conversation = conversation
        self.dedupeID = dedupeID
    }
}

/// What a webhook handler makes of a request before any Redis work: an answer, or a message to queue (answered
/// by `HTTPEdge.enqueue`). Pure, so every webhook's decisions can be fuzzed without a server.
public enum WebhookDecision: Sendable {
    case answer(FastCGIResponse)
    case enqueue(WebhookMessage)

    /// The answer, or the message queued (see `HTTPEdge.enqueue`). A failed enqueue is answered 503, never 200:
    /// the platform then delivers the webhook again.
    public func response(
        to request: FastCGIRequest, dedupeSeconds: Int, redis: any RedisScriptRunner, logger: Logger
    ) -> FastCGIResponse {
        switch self {
        case .answer(let response): HTTPEdge.answered(response)
        case .enqueue(let message):
            HTTPEdge.enqueue(message, dedupeSeconds: dedupeSeconds, redis: redis, logger: logger, requestID: request.requestID)
        }
    }
}

/// Why a webhook body was refused (answered 400 with this message).
public struct InvalidWebhookBody: Error, Sendable, Equatable {
    public let message: String
    public init(message: String) { self.message = message }
}
