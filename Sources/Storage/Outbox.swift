public import Platform
public import Postgres

/// Outbound messages kept in PostgreSQL until the provider confirms them, sent in order per conversation.
///
/// Rows are added inside the transaction of the step that produced them, so a reply exists exactly
/// when the step committed. Senders (the drain right after a step, the outbox job later) hold a
/// per-conversation advisory lock while sending, so two processes never send one conversation's
/// messages concurrently or out of order.
public struct Outbox: Sendable {
    /// One pending send.
    public struct Message: Sendable {
        public let id: Int64
        public let conversation: String
        /// The provider request body as JSON text.
        public let payload: String
        /// Failed delivery rounds so far.
        public let attempts: Int
        /// When the webhook that this reply answers was accepted (unix seconds), for the reply-latency histogram.
        public var acceptedAt: Double? = nil
        /// Whether this row was written by the step that is sending it now, so no sender can have tried it before.
        /// Any other pending row may have reached the provider from a sender that died before storing the outcome:
        /// a provider that can be asked (Chat2Desk, by `external_id`) is asked before it is sent again.
        public internal(set) var isFresh = false
    }

    /// What one attempt to send gave.
    public enum SendOutcome: Sendable, Equatable {
        case delivered
        /// Delivered, and the provider named the message (`provider_message_id`): its echo is recognised by it.
        case deliveredAs(providerID: String)
        /// Try again (after `retryAfter` seconds if the provider said so).
        case failed(error: String, retryAfter: Double?)
        /// The provider refused the message itself; retrying cannot help.
        case rejected(error: String)

        /// Whether the message reached the provider (with or without its id).
        public var isDelivered: Bool {
            switch self {
            case .delivered, .deliveredAs: true
            case .failed, .rejected: false
            }
        }
    }

    /// How a flush went.
    public enum FlushResult: Sendable, Equatable {
        /// Every pending message was delivered (or rejected as undeliverable).
        case done(delivered: Int)
        /// A message failed; it and everything after it wait for the outbox job.
        case deferred(delivered: Int, error: String)
        /// Another process is sending this conversation right now.
        case busy
    }

    /// Retry policy.
    public struct Policy: Sendable {
        /// Waits between inline attempts (the drain's path); empty for a single attempt.
        public var inlineDelays: [Double]
        public var maxAttempts: Int
        public var backoffSeconds: Double
        public var backoffMaxSeconds: Double

        /// The longest a sender waits inline for a provider's Retry-After. A longer one (Telegram may say 600 s)
        /// is not slept: the message waits in the outbox until then, and the worker goes on with other work.
        public var maxInlineWaitSeconds: Double

        /// The default of `maxInlineWaitSeconds`, also the cap of the senders that retry inline on their own (Resend).
        public static let defaultMaxInlineWaitSeconds: Double = 5

        public init(
            inlineDelays: [Double], maxAttempts: Int, backoffSeconds: Double, backoffMaxSeconds: Double,
            maxInlineWaitSeconds: Double = Self.defaultMaxInlineWaitSeconds
        ) {
            self.inlineDelays = inlineDelays
            self.maxAttempts = maxAttempts
            self.backoffSeconds = backoffSeconds
            self.backoffMaxSeconds = backoffMaxSeconds
            self.maxInlineWaitSeconds = maxInlineWaitSeconds
        }

        /// The wait after `attempts` failed rounds: doubling, capped.
        public func backoff(afterAttempts attempts: Int) -> Double {
            min(self.backoffMaxSeconds, self.backoffSeconds * Double(1 << min(max(attempts - 1, 0), 20)))
        }
    }

    public let channel: String
    /// The reply-latency series of this channel, its field names worked out once (not per reply).
    private let replyLatency: HistogramSeries

    public init(channel: String) {
        self.channel = channel
        self.replyLatency = MetricCatalog.replyLatency.series([("provider", channel)])
    }

    /// Adds a message; a second add with the same `sourceKey` (a re-run step) is ignored. `acceptedAt` is when the
    /// webhook it answers was accepted (unix seconds), for the reply-latency histogram.
    public func add(
        conversation: String, sourceKey: String, payload: String, acceptedAt: Double? = nil, on connection: PostgresConnection
    ) throws {
        try connection.pipeline([
            self.addStatement(conversation: conversation, sourceKey: sourceKey, payload: payload, acceptedAt: acceptedAt)
        ])
    }

    /// The statement of `add`, for callers that batch it into their own transaction's round trip.
    public func addStatement(conversation: String, sourceKey: String, payload: String, acceptedAt: Double? = nil) -> PostgresStatement {
        PostgresStatement(
            """
            INSERT INTO outbox (channel, conversation, source_key, payload, accepted_at)
            VALUES ($1, $2, $3, $4::jsonb, to_timestamp($5::double precision))
            ON CONFLICT (source_key) DO NOTHING
            """, [self.channel, conversation, sourceKey, payload, acceptedAt.map { String($0) }])
    }

    /// A conversation's pending messages, taken together with its sending lock (a session-level advisory lock
    /// that `deliver` releases).
    public struct Claim: Sendable {
        public let conversation: String
        public fileprivate(set) var messages: [Message]

        /// The claim with the rows of `ids` (the ones the caller's own step just inserted) marked fresh.
        public func markingFresh(_ ids: Set<Int64>) -> Claim {
            var claim = self
            for index in claim.messages.indices where ids.contains(claim.messages[index].id) {
                claim.messages[index].isFresh = true
            }
            return claim
        }
    }

    /// Two statements that try the conversations' sending locks and read their pending messages (two for any
    /// number of conversations), so a caller can append them to a round trip it makes anyway (the drain sends
    /// them right after its step's COMMIT). Turn their rows into claims with `claims(conversations:results:)`.
    public func claimStatements(conversations: [String]) -> [PostgresStatement] {
        [
            // The locks are taken before the rows are read (a separate statement, so a separate snapshot): a sender
            // that just released a lock has committed what it sent. The rows are read per conversation (LATERAL),
            // so each is a probe of the (channel, conversation, id) index, whatever the statistics say.
            PostgresStatement(
                """
                SELECT t.conversation, pg_try_advisory_lock(hashtextextended($1 || t.conversation, 0)) AS locked
                FROM unnest($2::text[]) WITH ORDINALITY AS t(conversation, ordinal) ORDER BY t.ordinal
                """, [self.lockPrefix, PostgresArray.literal(conversations)]),
            PostgresStatement(
                """
                SELECT o.id, o.conversation, o.payload::text AS payload, o.attempts,
                    extract(epoch FROM o.accepted_at)::double precision AS accepted_at
                FROM unnest($2::text[]) AS t(conversation)
                CROSS JOIN LATERAL (
                    SELECT id, conversation, payload, attempts, accepted_at FROM outbox
                    WHERE channel = $1 AND conversation = t.conversation AND status = 'pending' ORDER BY id) AS o
                ORDER BY o.id
                """, [self.channel, PostgresArray.literal(conversations)]),
        ]
    }

    /// One claim per conversation from the rows of `claimStatements(conversations:)`, in order; nil for a
    /// conversation whose lock another process holds (its rows are ignored).
    public func claims(conversations: [String], results: ArraySlice<[PostgresRow]>) throws -> [Claim?] {
        guard results.count == 2 else {
            throw PostgresError(code: .unexpectedResult, message: "outbox claim: expected 2 results")
        }
        let locks = results[results.startIndex]
        guard locks.count == conversations.count else {
            throw PostgresError(code: .unexpectedResult, message: "outbox claim: one lock per conversation expected")
        }
        var pending: [String: [Message]] = [:]
        for row in results[results.startIndex + 1] {
            let message = Message(
                id: try row.decode("id"), conversation: try row.decode("conversation"),
                payload: try row.decode("payload"), attempts: try row.decode("attempts"),
                acceptedAt: try row.decodeIfPresent("accepted_at"))
            pending[message.conversation, default: []].append(message)
        }
        return try zip(conversations, locks).map { conversation, lock in
            guard try lock.decode("locked", as: Bool.self) else { return nil }
            return Claim(conversation: conversation, messages: pending[conversation] ?? [])
        }
    }

    /// Sends the conversation's pending messages in order, stopping at the first that fails. Messages the
    /// outbox has scheduled for later (a provider's long Retry-After, backoff) are sent too: a new reply must
    /// not overtake them, and trying them now is how the conversation gets going again once the provider is back.
    /// - Parameter onAttempt: called before each attempt (the drain extends its queue lease there).
    public func flush(
        conversation: String, policy: Policy, on connection: PostgresConnection,
        onAttempt: () -> Void = {}, send: (Message) -> SendOutcome
    ) throws -> FlushResult {
        let results = try connection.pipeline(self.claimStatements(conversations: [conversation]))
        guard let claim = try self.claims(conversations: [conversation], results: results[...])[0] else {
            return .busy
        }
        return try self.deliver([claim], policy: policy, on: connection, onAttempt: onAttempt, send: send)[0]
    }

    /// Sends several claims' messages, conversation after conversation, each in order; returns one result per
    /// claim and releases every lock.
    ///
    /// Each outcome is stored before the next send, whichever conversation it belongs to (the last one together
    /// with the unlocks), so a sender killed mid-batch re-sends at most the one message it was sending. Once a
    /// conversation's send has failed after its inline retries, the later conversations get a single attempt
    /// each: the provider is in trouble, and their waits would add up; the outbox job retries them. A
    /// Retry-After longer than `policy.maxInlineWaitSeconds` is never slept: that message waits in the outbox.
    public func deliver(
        _ claims: [Claim], policy: Policy, on connection: PostgresConnection,
        onAttempt: () -> Void = {}, send: (Message) -> SendOutcome
    ) throws -> [FlushResult] {
        let unlock = PostgresStatement(
            "SELECT pg_advisory_unlock(hashtextextended($1 || c, 0)) FROM unnest($2::text[]) AS c",
            [self.lockPrefix, PostgresArray.literal(claims.map(\.conversation))])
        var outcomes = Outcomes()
        var results: [FlushResult] = []
        var inlineDelays = policy.inlineDelays
        do {
            for claim in claims {
                var delivered = 0
                var result = FlushResult.done(delivered: 0)
                messages: for message in claim.messages {
                    // The previous outcome is stored before the next send, as order and at-least-once require, and so
                    // that a crash resends at most the message in flight.
                    if !outcomes.isEmpty {
                        try connection.pipeline(outcomes.statements)
                        outcomes = Outcomes()
                    }
                    var lastError = ""
                    var outcome = SendOutcome.failed(error: "not attempted", retryAfter: nil)
                    for attempt in 0...inlineDelays.count {
                        onAttempt()
                        outcome = send(message)
                        guard case .failed(let error, let retryAfter) = outcome else { break }
                        lastError = error
                        if attempt < inlineDelays.count { self.count("retried") }
                        // A provider that asks for a long pause gets it from the outbox, not from this thread.
                        if let retryAfter, retryAfter > policy.maxInlineWaitSeconds { break }
                        if attempt < inlineDelays.count {
                            sleepSeconds(max(inlineDelays[attempt], retryAfter ?? 0))
                        }
                    }
                    switch outcome {
                    case .delivered:
                        outcomes.delivered.append((String(message.id), nil))
                        delivered += 1
                    case .deliveredAs(let providerID):
                        outcomes.delivered.append((String(message.id), providerID))
                        delivered += 1
                        self.count("sent")
                        if let acceptedAt = message.acceptedAt {
                            Metrics.shared.observe(self.replyLatency, max(0, Clock.system.now() - acceptedAt))
                        }
                    case .rejected(let error):
                        self.count("dead")
                        outcomes.others.append(
                            PostgresStatement(
                                "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = $2 WHERE id = $1",
                                [String(message.id), error]))
                    case .failed(_, let retryAfter):
                        inlineDelays = []
                        let attempts = message.attempts + 1
                        let dead = attempts >= policy.maxAttempts
                        self.count(dead ? "dead" : "failed")
                        let wait = max(policy.backoff(afterAttempts: attempts), retryAfter ?? 0)
                        outcomes.others.append(
                            PostgresStatement(
                                """
                                UPDATE outbox SET attempts = $2, last_error = $3, status = CASE WHEN $4 THEN 'dead' ELSE 'pending' END,
                                    next_attempt_at = now() + make_interval(secs => $5::double precision) WHERE id = $1
                                """, [String(message.id), String(attempts), lastError, dead ? "true" : "false", String(wait)]))
                        // A dead message no longer blocks the ones after it; a pending one does, to keep order.
                        if !dead {
                            result = .deferred(delivered: delivered, error: lastError)
                            break messages
                        }
                    }
                }
                if case .done = result { result = .done(delivered: delivered) }
                results.append(result)
            }
            try connection.pipeline(outcomes.statements + [unlock])
        } catch {
            // The unlocks may not have run; a lock left behind would block these conversations' replies.
            if connection.isHealthy { _ = try? connection.pipeline([unlock]) }
            throw error
        }
        return results
    }

    private func count(_ outcome: String) {
        Metrics.shared.add(MetricCatalog.replies, [("provider", self.channel), ("outcome", outcome)])
    }

    /// Send outcomes waiting to be stored.
    private struct Outcomes {
        var delivered: [(id: String, providerID: String?)] = []
        var others: [PostgresStatement] = []

        var isEmpty: Bool { self.delivered.isEmpty && self.others.isEmpty }

        /// One statement per message, each a primary-key lookup. (One `id = ANY($1)` statement for all of them was
        /// planned, while the table was small, as a sequential scan that PostgreSQL then kept: in `make bench` on a
        /// fresh database it came to take most of PostgreSQL's time as the table grew.)
        var statements: [PostgresStatement] {
            self.others
                + self.delivered.map { id, providerID in
                    PostgresStatement(
                        """
                        UPDATE outbox SET status = 'sent', sent_at = now(), last_error = NULL,
                            provider_message_id = COALESCE($2, provider_message_id) WHERE id = $1
                        """, [id, providerID])
                }
        }
    }

    /// Advisory-lock keys are `hashtextextended(lockPrefix || conversation, 0)`.
    private var lockPrefix: String { "outbox:\(self.channel):" }

    /// Conversations with a pending message that is due, oldest first.
    public func dueConversations(limit: Int, on connection: PostgresConnection) throws -> [String] {
        try connection.query(
            """
            SELECT conversation FROM outbox WHERE channel = $1 AND status = 'pending' AND next_attempt_at <= now()
            GROUP BY conversation ORDER BY min(id) LIMIT $2
            """, [self.channel, String(limit)]
        ).map { try $0.decode("conversation") }
    }
}

extension Outbox.Policy {
    /// Replies sent right after the step that wrote them: the inline retries (`SEND_RETRY_DELAYS`), then the outbox's
    /// backoff. The same for every provider, from `AppConfig.Outbound`.
    public static func afterStep(_ outbound: AppConfig.Outbound) -> Self {
        Self(
            inlineDelays: outbound.inlineRetryDelays, maxAttempts: outbound.outboxMaxAttempts,
            backoffSeconds: outbound.outboxBackoffSeconds, backoffMaxSeconds: outbound.outboxBackoffMaxSeconds)
    }

    /// The outbox job's pass: one attempt per due message, then the backoff.
    public static func retryPass(_ outbound: AppConfig.Outbound) -> Self {
        var policy = Self.afterStep(outbound)
        policy.inlineDelays = []
        return policy
    }
}
