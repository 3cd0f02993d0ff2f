public import FastCGI
import FoundationEssentials
public import Logging
public import Messages
public import Platform
import Redis

extension TelegramInbound {
    /// Validates the parts the queue needs. Returns nil (answered 200, not queued) for update kinds the
    /// bot does not handle (channel posts, edits, polls...), and throws for a body that is not an Update.
    public static func parse(_ body: [UInt8]) throws(InvalidWebhookBody) -> TelegramInbound? {
        guard let (parsed, cleaned) = JSONValue.parseUntrusted(body), let update = parsed.objectValue else {
            throw .init(message: "the body is not a JSON object")
        }
        guard case .integer(let updateID)? = update["update_id"], updateID >= 0 else {
            throw .init(message: "update_id is missing or not an integer")
        }
        let chat: JSONValue?
        if let message = update["message"]?.objectValue {
            chat = message["chat"]?.objectValue?["id"]
        } else if let callback = update["callback_query"]?.objectValue {
            // A callback from an old inline message may lack `message`; the user's id is their private chat.
            chat = callback["message"]?.objectValue?["chat"]?.objectValue?["id"] ?? callback["from"]?.objectValue?["id"]
        } else {
            return nil
        }
        guard case .integer(let chatID)? = chat else { throw .init(message: "the update has no chat id") }
        // The drain decodes the update again: Telegram's own text, or the cleaned tree when something was dropped
        // or replaced (a NUL must not reach PostgreSQL).
        return TelegramInbound(
            updateID: updateID, chatID: chatID, update: cleaned ? parsed.serialized : String(decoding: body, as: UTF8.self))
    }
}

/// `POST /webhook/tg`: the secret token header (constant time), the Update's shape, de-duplication on
/// `update_id`, and the queue — 200 in milliseconds. Nothing here talks to Telegram.
public struct TelegramWebhookHandler {
    private let secret: String
    private let dedupeSeconds: Int
    private let redis: LazyRedis
    private let logger: Logger

    public init(secret: String, dedupeSeconds: Int, redis: LazyRedis, logger: Logger) {
        self.secret = secret
        self.dedupeSeconds = dedupeSeconds
        self.redis = redis
        self.logger = logger
    }

    public func handle(_ request: FastCGIRequest) -> FastCGIResponse {
        // Not acknowledged on failure: Telegram retries the update.
        self.decide(request).response(to: request, dedupeSeconds: self.dedupeSeconds, redis: self.redis, logger: self.logger)
    }

    /// Everything before the queue: method, secret token, media type, the Update's shape.
    public func decide(_ request: FastCGIRequest) -> WebhookDecision {
        guard request.method == "POST" else { return .answer(HTTPEdge.methodNotAllowed(allowed: ["POST"])) }
        guard let presented = request.header("x-telegram-bot-api-secret-token"), SecretCheck.matches(presented, self.secret) else {
            self.logger.warning("telegram secret missing or wrong", metadata: ["request.id": "\(request.requestID)"])
            return .answer(HTTPEdge.error(401, "unauthorized", "the secret token is missing or wrong"))
        }
        let mediaType = request.contentType.split(separator: ";").first.map { $0.trimmingSpaces.lowercased() } ?? ""
        guard mediaType == "application/json" else {
            return .answer(HTTPEdge.error(415, "unsupported_media_type", "send application/json"))
        }
        let inbound: TelegramInbound?
        do {
            inbound = try TelegramInbound.parse(request.body)
        } catch {
            return .answer(HTTPEdge.error(400, "bad_request", error.message))
        }
        guard var inbound else { return .answer(HTTPEdge.ok(#""queued":false"#)) }
        inbound.receivedAt = Clock.system.now()
        return AcademyQueueMessage.telegram(inbound).decision(conversation: "tg:\(inbound.chatID)", dedupeID: "tg:\(inbound.updateID)")
    }
}
