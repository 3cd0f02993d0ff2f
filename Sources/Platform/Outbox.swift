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
    }

    /// What one attempt to send gave.
    public enum SendOutcome: Sendable, Equatable {
        case delivered
        /// Try again (after `retryAfter` seconds if the provider said so).
        case failed(error: String, retryAfter: Double?)
        /// The provider refused the message itself; retrying cannot help.
        case rejected(error: String)
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

        public init(inlineDelays: [Double], maxAttempts: Int, backoffSeconds: Double, backoffMaxSeconds: Double) {
            self.inlineDelays = inlineDelays
            self.maxAttempts = maxAttempts
            self.backoffSeconds = backoffSeconds
            self.backoffMaxSeconds = backoffMaxSeconds
        }

        /// The wait after `attempts` failed rounds: doubling, capped.
        public func backoff(afterAttempts attempts: Int) -> Double {
            min(self.backoffMaxSeconds, self.backoffSeconds * Double(1 << min(max(attempts - 1, 0), 20)))
        }
    }

    public let channel: String

    public init(channel: String) { self.channel = channel }

    /// Adds a message; a second add with the same `sourceKey` (a re-run step) is ignored.
    public func add(conversation: String, sourceKey: String, payload: String, on connection: PostgresConnection) throws {
        try connection.query(
            """
            INSERT INTO outbox (channel, conversation, source_key, payload) VALUES ($1, $2, $3, $4::jsonb)
            ON CONFLICT (source_key) DO NOTHING
            """, [self.channel, conversation, sourceKey, payload])
    }

    /// Sends the conversation's pending messages in order, stopping at the first that fails.
    /// - Parameter onAttempt: called before each attempt (the drain extends its queue lease there).
    public func flush(
        conversation: String, policy: Policy, on connection: PostgresConnection,
        onAttempt: () -> Void = {}, send: (Message) -> SendOutcome
    ) throws -> FlushResult {
        let lockKey = "outbox:\(self.channel):\(conversation)"
        let locked = try connection.queryOne(
            "SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked", [lockKey]).decode("locked", as: Bool.self)
        guard locked else { return .busy }
        defer { _ = try? connection.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [lockKey]) }

        let rows = try connection.query(
            """
            SELECT id, conversation, payload::text AS payload, attempts FROM outbox
            WHERE channel = $1 AND conversation = $2 AND status = 'pending' ORDER BY id
            """, [self.channel, conversation])
        var delivered = 0
        for row in rows {
            let message = Message(
                id: try row.decode("id"), conversation: try row.decode("conversation"),
                payload: try row.decode("payload"), attempts: try row.decode("attempts"))
            var lastError = ""
            var outcome = SendOutcome.failed(error: "not attempted", retryAfter: nil)
            for attempt in 0...policy.inlineDelays.count {
                onAttempt()
                outcome = send(message)
                guard case .failed(let error, let retryAfter) = outcome else { break }
                lastError = error
                if attempt < policy.inlineDelays.count {
                    sleepSeconds(max(policy.inlineDelays[attempt], retryAfter ?? 0))
                }
            }
            switch outcome {
            case .delivered:
                try connection.query("UPDATE outbox SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1", [String(message.id)])
                delivered += 1
            case .rejected(let error):
                try connection.query(
                    "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = $2 WHERE id = $1",
                    [String(message.id), error])
            case .failed(_, let retryAfter):
                let attempts = message.attempts + 1
                let dead = attempts >= policy.maxAttempts
                let wait = max(policy.backoff(afterAttempts: attempts), retryAfter ?? 0)
                try connection.query(
                    """
                    UPDATE outbox SET attempts = $2, last_error = $3, status = CASE WHEN $4 THEN 'dead' ELSE 'pending' END,
                        next_attempt_at = now() + make_interval(secs => $5::double precision) WHERE id = $1
                    """, [String(message.id), String(attempts), lastError, dead ? "true" : "false", String(wait)])
                // A dead message no longer blocks the ones after it; a pending one does, to keep order.
                if !dead { return .deferred(delivered: delivered, error: lastError) }
            }
        }
        return .done(delivered: delivered)
    }

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
