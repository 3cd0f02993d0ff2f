public import Curl
import FoundationEssentials
public import Messages
public import Platform
import Redis
public import Storage

/// Telegram's verdict on one Bot API call.
public enum TelegramResult: Sendable, Equatable {
    case ok(JSONValue)
    /// 429 (with `retry_after`), 5xx, network: worth retrying later.
    case retryable(error: String, retryAfter: Double?)
    /// 403 "bot was blocked by the user" (or the user is deactivated): stop messaging this chat.
    case blocked(error: String)
    /// Any other refusal (400 and friends): retrying cannot help.
    case rejected(error: String)
}

/// Calls the Telegram Bot API (`<base>/bot<token>/<method>`, JSON bodies) under the shared limits:
/// about 30 messages/s overall and 1/s per chat (as 3 per 3 s, so a welcome of three messages is not
/// spread over three seconds), sliding windows in Redis shared by every process.
/// A 429 pauses every process for `parameters.retry_after`. "message is not modified" counts as success.
public struct TelegramClient {
    private let baseURL: String
    private let token: String
    private let http: HTTPClient
    private let redis: LazyRedis
    private let clock: Clock
    private let timeout: Double
    private let connectTimeout: Double
    private let global: SlidingWindowLimiter

    public init(
        baseURL: String, token: String, timeout: Double, connectTimeout: Double, http: HTTPClient, redis: LazyRedis,
        clock: Clock = .system, globalPerSecond: Int = 30
    ) {
        self.baseURL = baseURL
        self.token = token
        self.http = http
        self.redis = redis
        self.clock = clock
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.global = SlidingWindowLimiter(name: "telegram", limit: globalPerSecond, windowSeconds: 1)
    }

    /// `sendMessage` with plain text.
    public func sendMessage(chatID: Int64, text: String) -> TelegramResult {
        self.call("sendMessage", ["chat_id": .integer(chatID), "text": .string(text)], chatID: chatID)
    }

    /// Delivers one outbox row (a `TelegramOutboxPayload`). A chat that blocked the bot is reported through
    /// `onBlocked` and its message dropped (retrying cannot help); a callback answered too late needs nothing more.
    public func send(_ message: Outbox.Message, onBlocked: (Int64) -> Void = { _ in }) -> Outbox.SendOutcome {
        guard let payload = TelegramOutboxPayload(json: message.payload) else { return .rejected(error: "not a Telegram outbox payload") }
        let chatID = Int64(message.conversation)
        switch self.call(payload.method, json: payload.parameters, chatID: payload.method == "answerCallbackQuery" ? nil : chatID) {
        case .ok:
            return .delivered
        case .retryable(let error, let retryAfter):
            return .failed(error: error, retryAfter: retryAfter)
        case .blocked(let error):
            if let chatID { onBlocked(chatID) }
            return .rejected(error: error)
        case .rejected(let error):
            if payload.method == "answerCallbackQuery", error.contains("query is too old") { return .delivered }
            return .rejected(error: error)
        }
    }

    /// Downloads a file `getFile` described (`<base>/file/bot<token>/<file_path>`), abandoning a body over
    /// `maxBytes`. Errors never contain the URL: it carries the token.
    public func downloadFile(path filePath: String, maxBytes: Int, timeout: Double) throws(CurlError) -> HTTPResponse {
        try self.http.perform(
            HTTPRequest(
                url: "\(self.baseURL)/file/bot\(self.token)/\(filePath)", connectTimeout: self.connectTimeout,
                totalTimeout: timeout, maxResponseBytes: maxBytes))
    }

    /// One Bot API call with a few parameters.
    public func call(_ method: String, _ parameters: [String: JSONValue], chatID: Int64? = nil) -> TelegramResult {
        self.call(method, json: JSONValue.object(parameters).serialized, chatID: chatID)
    }

    /// One Bot API call, its parameters a JSON object as text; `chatID` (when the call messages a chat) applies that
    /// chat's 1/s limit too.
    public func call(_ method: String, json parameters: String, chatID: Int64? = nil) -> TelegramResult {
        do {
            let wait = try self.redis.with { connection -> Double? in
                var limiters = [self.global]
                if let chatID { limiters.append(Self.chatLimiter(chatID)) }
                for limiter in limiters {
                    if let wait = try limiter.acquire(maxWaitSeconds: 10, clock: self.clock, on: connection) { return wait }
                }
                return nil
            }
            if let wait {
                return .retryable(error: "telegram rate limit: no slot for \(Int(wait.rounded(.up))) s", retryAfter: wait)
            }
        } catch {
            return .retryable(error: "rate limiter unavailable: \(error)", retryAfter: nil)
        }
        let request = HTTPRequest(
            method: "POST", url: "\(self.baseURL)/bot\(self.token)/\(method)",
            headers: [("Content-Type", "application/json")], body: Array(parameters.utf8),
            connectTimeout: self.connectTimeout, totalTimeout: self.timeout)
        let response: HTTPResponse
        do {
            response = try self.http.perform(request)
        } catch {
            return .retryable(error: "telegram \(method): \(error)", retryAfter: nil)
        }
        return self.interpret(response, method: method, chatID: chatID)
    }

    /// One chat's window: 3 messages per 3 s (Telegram's "about one per second", with room for a short burst).
    static func chatLimiter(_ chatID: Int64) -> SlidingWindowLimiter {
        SlidingWindowLimiter(name: "telegram:chat:\(chatID)", limit: 3, windowSeconds: 3)
    }

    private func interpret(_ response: HTTPResponse, method: String, chatID: Int64?) -> TelegramResult {
        let envelope = JSONValue.parse(response.text)?.objectValue
        let description = envelope?["description"]?.stringValue ?? "non-JSON answer"
        if response.status == 200, case .bool(true)? = envelope?["ok"] {
            return .ok(envelope?["result"] ?? .null)
        }
        switch response.status {
        case 429:
            let retryAfter =
                envelope?["parameters"]?.objectValue?["retry_after"].flatMap { value -> Double? in
                    if case .integer(let seconds) = value { return Double(seconds) }
                    return nil
                } ?? response.header("retry-after").flatMap(Double.init) ?? 1
            // A flood of one chat pauses that chat only; anything else pauses every sender.
            let limiter = chatID.map(Self.chatLimiter) ?? self.global
            _ = try? self.redis.with { try limiter.pause(seconds: retryAfter, on: $0) }
            return .retryable(error: "telegram 429: \(description)", retryAfter: retryAfter)
        case 400 where description.contains("message is not modified"):
            return .ok(.bool(true))
        case 403:
            return .blocked(error: "telegram 403: \(description)")
        case 200, 500...599:
            return .retryable(error: "telegram \(method) \(response.status): \(description)", retryAfter: nil)
        default:
            return .rejected(error: "telegram \(method) \(response.status): \(description)")
        }
    }
}
