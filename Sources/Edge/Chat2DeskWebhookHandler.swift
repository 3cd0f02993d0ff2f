public import FastCGI
import FoundationEssentials
public import Logging
import Messages
public import Platform
public import Redis

/// `POST /webhook/chat2desk[/<secret>]`: authenticate, validate, de-duplicate and queue. Nothing else:
/// it never calls Chat2Desk and never touches dialog state.
public struct Chat2DeskWebhookHandler {

    private let secret: String
    private let dedupeSeconds: Int
    private let redis: any RedisScriptRunner
    private let clock: Clock
    private let logger: Logger

    /// - Parameter redis: where the enqueue script runs: a thread's `LazyRedis`, or the process's `RedisGroupCommit`.
    public init(secret: String, dedupeSeconds: Int, redis: any RedisScriptRunner, clock: Clock = .system, logger: Logger) {
        self.secret = secret
        self.dedupeSeconds = dedupeSeconds
        self.redis = redis
        self.clock = clock
        self.logger = logger
    }

    public func handle(_ request: FastCGIRequest) -> FastCGIResponse {
        // Not acknowledged on failure: Chat2Desk retries.
        self.decide(request).response(to: request, dedupeSeconds: self.dedupeSeconds, redis: self.redis, logger: self.logger)
    }

    /// Everything before the queue: method, secret, media type, body.
    public func decide(_ request: FastCGIRequest) -> WebhookDecision {
        guard request.method == "POST" else { return .answer(HTTPEdge.methodNotAllowed(allowed: ["POST"])) }
        let pathSecret = request.path.hasPrefix("/webhook/chat2desk/") ? String(request.path.dropFirst("/webhook/chat2desk/".count)) : nil
        guard let presented = pathSecret ?? request.queryParameters["token"] ?? request.header("x-webhook-secret"),
            !presented.isEmpty
        else {
            return .answer(HTTPEdge.error(401, "unauthorized", "the webhook secret is missing"))
        }
        guard SecretCheck.matches(presented, self.secret) else {
            self.logger.warning("webhook secret mismatch", metadata: ["request.id": "\(request.requestID)"])
            return .answer(HTTPEdge.error(403, "forbidden", "the webhook secret is wrong"))
        }
        let mediaType = request.contentType.split(separator: ";").first.map { $0.trimmingSpaces.lowercased() } ?? ""
        guard mediaType == "application/json" else {
            return .answer(HTTPEdge.error(415, "unsupported_media_type", "send application/json"))
        }
        guard !request.body.isEmpty else { return .answer(HTTPEdge.error(400, "bad_request", "the body is empty")) }
        let event: Chat2DeskWebhookEvent
        do {
            event = try Chat2DeskWebhookParser.parse(request.body, receivedAt: self.clock.now())
        } catch {
            return .answer(HTTPEdge.error(400, "bad_request", error.message))
        }
        guard case .inbound(let message) = event else { return .answer(HTTPEdge.ok(#""queued":false"#)) }
        return .enqueue(
            WebhookMessage(
                payload: message.queuePayload, queue: .shoro, conversation: message.clientID, dedupeID: message.messageID))
    }
}
