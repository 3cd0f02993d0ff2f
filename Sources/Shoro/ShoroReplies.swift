public import Clients
public import BotCore
import Curl
import FoundationEssentials
public import Logging
public import Platform
import Postgres
public import Storage
import Messages

/// The Shoro bot's replies through Chat2Desk: its client (with the shared 300/min limit) and the retry pass of the
/// outbox job. One per worker thread (connections are not shared).
public final class ShoroReplies {
    public let config: AppConfig
    public let shoro: AppConfig.Shoro
    public let redis: LazyRedis
    public let postgres: LazyPostgres
    public let client: Chat2DeskClient
    let logger: Logger
    let clock: Clock

    public init(config: AppConfig, shoro: AppConfig.Shoro, clock: Clock = .system, logger: Logger) {
        self.config = config
        self.shoro = shoro
        self.redis = LazyRedis(config.infrastructure.redis)
        self.postgres = LazyPostgres(conninfo: config.infrastructure.databaseURL)
        self.client = Chat2DeskClient(
            baseURL: shoro.apiURL, token: shoro.token, rateLimitPerMinute: shoro.rateLimitPerMinute,
            timeout: config.infrastructure.httpTimeout, connectTimeout: config.infrastructure.httpConnectTimeout,
            http: HTTPClient(), redis: self.redis, clock: clock, logger: logger)
        self.clock = clock
        self.logger = logger
    }

    /// One outbox pass: retries every conversation with a due reply (single attempt each, then backoff).
    public func retryPass() throws -> Int {
        let policy = Outbox.Policy.retryPass(self.config.outbound)
        return try self.postgres.with { connection in
            var delivered = 0
            for conversation in try ShoroStep.outbox.dueConversations(limit: 200, on: connection) {
                let result = try ShoroStep.outbox.flush(conversation: conversation, policy: policy, on: connection, send: { self.client.send($0) })
                if case .done(let count) = result { delivered += count }
                if case .deferred(let count, let error) = result {
                    delivered += count
                    self.logger.warning("outbox send failed", metadata: ["chat.id": "\(conversation)", "error": "\(error)"])
                }
            }
            return delivered
        }
    }
}
