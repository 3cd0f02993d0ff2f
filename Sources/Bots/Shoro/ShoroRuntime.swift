import Edge
public import BotCore
import Curl
import FoundationEssentials
public import Logging
public import Platform
import Postgres
public import Storage

/// Everything one drain or outbox worker thread needs for Shoro, built on that thread (connections are not shared).
public final class ShoroRuntime {
    public let config: AppConfig
    public let shoro: AppConfig.Shoro
    public let redis: LazyRedis
    public let postgres: LazyPostgres
    public let client: Chat2DeskClient
    public let step: ShoroStep
    private let logger: Logger
    private let clock: Clock

    public init(config: AppConfig, shoro: AppConfig.Shoro, texts: ShoroTexts, clock: Clock = .system, logger: Logger) {
        self.config = config
        self.shoro = shoro
        self.redis = LazyRedis(config.infrastructure.redis)
        self.postgres = LazyPostgres(conninfo: config.infrastructure.databaseURL)
        self.client = Chat2DeskClient(
            baseURL: shoro.apiURL, token: shoro.token, rateLimitPerMinute: shoro.rateLimitPerMinute,
            timeout: config.infrastructure.httpTimeout, connectTimeout: config.infrastructure.httpConnectTimeout,
            http: HTTPClient(), redis: self.redis, clock: clock)
        self.step = ShoroStep(texts: texts, dialogTTLSeconds: Double(shoro.dialogTTLSeconds))
        self.clock = clock
        self.logger = logger
    }

    /// Loads the three text files from `TEXTS_DIR`.
    public static func loadTexts(directory: String) throws -> ShoroTexts {
        var files: [ShoroLanguage: Data] = [:]
        for language in ShoroLanguage.allCases {
            let path = directory + "/" + language.catalogFileName
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError(problems: [.init(variable: "TEXTS_DIR", message: "cannot read \(path)")])
            }
            files[language] = data
        }
        return try ShoroTexts(json: files)
    }

    /// The retry policy of replies sent right after a step.
    public var inlinePolicy: Outbox.Policy {
        Outbox.Policy(
            inlineDelays: self.config.outbound.inlineRetryDelays, maxAttempts: self.config.outbound.outboxMaxAttempts,
            backoffSeconds: self.config.outbound.outboxBackoffSeconds,
            backoffMaxSeconds: self.config.outbound.outboxBackoffMaxSeconds)
    }

    /// Handles one queued message: the dialog step (one transaction), then its replies, in order.
    public func handle(_ delivery: InboundQueue.Delivery, extendLease: () -> Void) throws {
        let message = try Chat2DeskInbound(queuePayload: delivery.payload)
            ?? JSONDecoder().decode(Chat2DeskInbound.self, from: Data(delivery.payload.utf8))
        let started = monotonicSeconds()
        // The send slot is asked for now and answered while PostgreSQL runs the step.
        let reservation = self.client.reserveSlot()
        defer { self.client.release(reservation) }
        let result: ShoroStep.Result
        let claim: Outbox.Claim?
        do {
            // The step's commit and the outbox claim (lock + pending replies) share one round trip.
            (result, claim) = try self.postgres.with {
                try self.step.run(message, now: self.clock.now(), claimingOutbox: true, on: $0)
            }
        } catch {
            _ = try? self.postgres.with { ShoroStep.logFailure(message, error: String(describing: error), on: $0) }
            throw error
        }
        let flush: Outbox.FlushResult
        if let claim {
            flush = try self.postgres.with { connection in
                try ShoroStep.outbox.deliver(
                    claim, policy: self.inlinePolicy, on: connection, onAttempt: extendLease,
                    send: { self.client.send($0, heartbeat: extendLease, reservation: reservation) })
            }
        } else {
            flush = .busy  // another process is sending this conversation's replies; it will send these too
        }
        self.logger.info("message handled", metadata: [
            "chat.id": "\(message.clientID)", "message.id": "\(message.messageID)",
            "dialog.state": "\(result.stateBefore)->\(result.stateAfter)", "replies": "\(result.replies)",
            "order.created": "\(result.orderCreated)", "duplicate": "\(result.alreadyProcessed)",
            "outbox": "\(flush)", "ms": "\(Int((monotonicSeconds() - started) * 1000))",
        ])
    }

    /// One outbox pass: retries every conversation with a due reply (single attempt each, then backoff).
    public func retryOutbox() throws -> Int {
        let policy = Outbox.Policy(
            inlineDelays: [], maxAttempts: self.config.outbound.outboxMaxAttempts,
            backoffSeconds: self.config.outbound.outboxBackoffSeconds,
            backoffMaxSeconds: self.config.outbound.outboxBackoffMaxSeconds)
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
