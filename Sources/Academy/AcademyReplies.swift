public import BotCore
public import Clients
import Curl
import FoundationEssentials
public import Logging
import Messages
public import Platform
import Postgres
public import Storage

/// The Academy bot's Telegram replies: sends each chat's pending outbox rows in order, right after a step or a
/// reminder (`flush`), and retries what failed (`retryPass`, the outbox job). One per worker thread.
public final class AcademyReplies {
    public let context: WorkerContext
    public let academy: AppConfig.Academy
    public let client: TelegramClient
    let http = HTTPClient()
    private let store = LeadStore()

    public init(config: AppConfig, academy: AppConfig.Academy, clock: Clock = .system, logger: Logger) {
        let context = WorkerContext(config: config, clock: clock, logger: logger)
        self.context = context
        self.academy = academy
        self.client = TelegramClient(
            baseURL: academy.telegramAPIURL, token: academy.telegramToken, timeout: config.infrastructure.httpTimeout,
            connectTimeout: config.infrastructure.httpConnectTimeout, http: self.http, redis: context.engines.redis, clock: clock)
    }

    /// Sends the pending Telegram messages of `chats`, in order; failures wait for the outbox job.
    @discardableResult
    public func flush(chats: [Int64], extendLease: () -> Void = {}, policy: Outbox.Policy? = nil) throws -> Int {
        let client = self.client
        let policy = policy ?? .afterStep(self.context.config.outbound)
        var delivered = 0
        for chat in chats {
            let result = try self.context.engines.postgres.with { connection in
                try AcademyTelegramStep.outbox.flush(
                    conversation: String(chat), policy: policy, on: connection, onAttempt: extendLease,
                    send: { message in
                        client.send(message) { blocked in
                            self.context.logger.warning(
                                "the user blocked the bot; messages to this chat stop", metadata: ["tg.chat": "\(blocked)"])
                            _ = try? self.store.markBlocked(chatID: blocked, on: connection)
                        }
                    })
            }
            switch result {
            case .done(let count): delivered += count
            case .deferred(let count, let error):
                delivered += count
                self.context.logger.warning("telegram send deferred to the outbox", metadata: ["tg.chat": "\(chat)", "error": "\(error)"])
            case .busy: break
            }
        }
        return delivered
    }

    /// One outbox pass over Telegram chats with due messages (single attempt each, then backoff).
    public func retryPass() throws -> Int {
        let chats = try self.context.engines.postgres.with { try AcademyTelegramStep.outbox.dueConversations(limit: 200, on: $0) }
            .compactMap(Int64.init)
        return try self.flush(chats: chats, policy: .retryPass(self.context.config.outbound))
    }
}
