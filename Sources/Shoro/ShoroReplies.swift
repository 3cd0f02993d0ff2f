public import BotCore
public import Clients
import Curl
import FoundationEssentials
public import Logging
import Messages
public import Platform
import Postgres
public import Storage

/// The Shoro bot's replies through Chat2Desk: its client (with the shared 300/min limit) and the retry pass of the
/// outbox job. One per worker thread (connections are not shared).
public final class ShoroReplies {
    public let context: WorkerContext
    public let shoro: AppConfig.Shoro
    public let client: Chat2DeskClient

    public init(config: AppConfig, shoro: AppConfig.Shoro, clock: Clock = .system, logger: Logger) {
        let context = WorkerContext(config: config, clock: clock, logger: logger)
        self.context = context
        self.shoro = shoro
        self.client = Chat2DeskClient(
            baseURL: shoro.apiURL, token: shoro.token, rateLimitPerMinute: shoro.rateLimitPerMinute,
            timeout: config.infrastructure.httpTimeout, connectTimeout: config.infrastructure.httpConnectTimeout,
            http: HTTPClient(), redis: context.engines.redis, clock: clock, logger: logger)
    }

    /// One outbox pass: retries every conversation with a due reply (single attempt each, then backoff).
    public func retryPass() throws -> Int {
        let policy = Outbox.Policy.retryPass(self.context.config.outbound)
        return try self.context.engines.postgres.with { connection in
            var delivered = 0
            for conversation in try ShoroStep.outbox.dueConversations(limit: 200, on: connection) {
                let result = try ShoroStep.outbox.flush(
                    conversation: conversation, policy: policy, on: connection, send: { self.client.send($0) })
                if case .done(let count) = result { delivered += count }
                if case .deferred(let count, let error) = result {
                    delivered += count
                    self.context.logger.warning("outbox send failed", metadata: ["chat.id": "\(conversation)", "error": "\(error)"])
                }
            }
            return delivered
        }
    }
}
