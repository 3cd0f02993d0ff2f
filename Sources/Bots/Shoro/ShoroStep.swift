public import Edge
public import BotCore
import FoundationEssentials
import Platform
public import Postgres
public import Storage

/// Runs one inbound message through the Shoro dialog and commits everything it causes in one
/// PostgreSQL transaction: the new dialog state, the order, the outcome, the replies (as outbox rows)
/// and the message log. Re-running a message that already committed changes nothing.
public struct ShoroStep {
    public static let outbox = Outbox(channel: "chat2desk")

    private let texts: ShoroTexts
    private let dialogTTLSeconds: Double

    public init(texts: ShoroTexts, dialogTTLSeconds: Double = ShoroDialog.expirySeconds) {
        self.texts = texts
        self.dialogTTLSeconds = dialogTTLSeconds
    }

    /// What one step did, for logs and tests.
    public struct Result: Sendable, Equatable {
        public var alreadyProcessed: Bool
        public var stateBefore: String
        public var stateAfter: String
        public var replies: Int
        public var orderCreated: Bool
    }

    /// Handles `message` at time `now` (seconds since 1970).
    public func run(_ message: Chat2DeskInbound, now: Double, on connection: PostgresConnection) throws -> Result {
        try self.run(message, now: now, claimingOutbox: false, on: connection).result
    }

    /// Handles `message` in two round trips: `BEGIN` + the reads (the dialog row locked first, then whether the
    /// message already committed and the client's last order), then every write + `COMMIT`. With
    /// `claimingOutbox`, the same second round trip also takes the conversation's outbox lock and reads its
    /// pending replies after the commit: the claim is nil when another process holds the lock, and the caller
    /// must pass a claim to `Outbox.deliver`, which releases the lock.
    public func run(
        _ message: Chat2DeskInbound, now: Double, claimingOutbox: Bool, on connection: PostgresConnection
    ) throws -> (result: Result, claim: Outbox.Claim?) {
        do {
            return try self.step(message, now: now, claimingOutbox: claimingOutbox, on: connection)
        } catch {
            if connection.isHealthy { connection.rollbackIfInTransaction() }
            throw error
        }
    }

    private func step(
        _ message: Chat2DeskInbound, now: Double, claimingOutbox: Bool, on connection: PostgresConnection
    ) throws -> (result: Result, claim: Outbox.Claim?) {
        let reads = try connection.pipeline([
            PostgresStatement("BEGIN"),
            // The lock comes first, so the check below sees a commit by whoever held the row before us.
            PostgresStatement("SELECT dialog::text AS dialog FROM shoro_dialogs WHERE client_id = $1 FOR UPDATE", [message.clientID]),
            PostgresStatement(
                """
                SELECT EXISTS (SELECT 1 FROM message_logs WHERE source = 'chat2desk' AND message_id = $1 AND success) AS done,
                       last.delivery_address, last.client_phone
                FROM (SELECT 1) AS one LEFT JOIN LATERAL (
                    SELECT delivery_address, client_phone FROM orders WHERE chat2desk_client_id = $2 AND source = 'chat2desk'
                    ORDER BY created_at DESC, id DESC LIMIT 1) AS last ON true
                """, [message.messageID, message.clientID]),
        ])
        guard reads.count == 3, let facts = reads[2].first else {
            throw PostgresError(code: .unexpectedResult, message: "shoro step reads")
        }
        var writes: [PostgresStatement] = []
        var orderStatement: Int?
        var result: Result
        if try facts.decode("done", as: Bool.self) {
            result = Result(alreadyProcessed: true, stateBefore: "", stateAfter: "", replies: 0, orderCreated: false)
        } else {
            let date = Date(timeIntervalSince1970: now)
            // A dialog stored by an older, incompatible version starts over instead of failing every message.
            var dialog = reads[1].first?["dialog"].flatMap { try? JSONDecoder().decode(ShoroDialog.self, from: Data($0.utf8)) }
            if var stale = dialog, !stale.isFinished, stale.updatedAt.timeIntervalSince1970 + self.dialogTTLSeconds <= now {
                var expiry = stale.expire(at: date)
                if expiry.isEmpty { expiry = self.forcedExpiry(stale) }
                for case .recordOutcome(let outcome) in expiry {
                    writes.append(self.outcomeStatement(outcome, clientID: message.clientID, dialogKey: stale.orderKey))
                }
                dialog = nil
            }
            if dialog == nil || dialog!.isFinished {
                let returning = try facts.decodeIfPresent("delivery_address", as: String.self).map { address in
                    ShoroCustomer(lastAddress: address, lastPhone: try facts.decode("client_phone"))
                }
                dialog = ShoroDialog(id: message.messageID, startedAt: date, returning: returning)
            }
            var current = dialog!
            let stateBefore = current.state.rawValue
            let text = message.text.trimmingSpaces
            let effects = current.handle(text.isEmpty && message.hasMedia ? .nonText : .text(message.text), now: date)

            var replies = 0
            for effect in effects {
                switch effect {
                case .reply(let reply):
                    let payload = Chat2DeskClient.payload(
                        clientID: message.clientID, text: self.texts.render(reply, language: current.language),
                        transport: message.transport, channelID: message.channelID)
                    writes.append(Self.outbox.addStatement(
                        conversation: message.clientID, sourceKey: "chat2desk:\(message.messageID):\(replies)",
                        payload: payload))
                    replies += 1
                case .createOrder(let draft):
                    orderStatement = writes.count
                    writes.append(PostgresStatement(
                        """
                        INSERT INTO orders (client_phone, delivery_address, bottles_count, source, chat2desk_client_id, status, idempotency_key)
                        VALUES ($1, $2, $3, 'chat2desk', $4, 'new', $5) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
                        """, [draft.phone, draft.address, String(draft.bottles), message.clientID,
                              "chat2desk:\(message.clientID):\(draft.dialogID)"]))
                case .recordOutcome(let outcome):
                    writes.append(self.outcomeStatement(outcome, clientID: message.clientID, dialogKey: current.orderKey))
                }
            }
            writes.append(PostgresStatement(
                """
                INSERT INTO shoro_dialogs (client_id, dialog, updated_at) VALUES ($1, $2::jsonb, now())
                ON CONFLICT (client_id) DO UPDATE SET dialog = EXCLUDED.dialog, updated_at = now()
                """, [message.clientID, String(decoding: try JSONEncoder().encode(current), as: UTF8.self)]))
            writes.append(PostgresStatement(
                """
                INSERT INTO message_logs (source, client_id, message_id, text, dialog_state, success)
                VALUES ('chat2desk', $1, $2, $3, $4, true)
                ON CONFLICT (source, message_id) DO UPDATE SET success = true, error_reason = NULL, dialog_state = EXCLUDED.dialog_state
                """, [message.clientID, message.messageID, message.text, stateBefore]))
            result = Result(
                alreadyProcessed: false, stateBefore: stateBefore, stateAfter: current.state.rawValue, replies: replies,
                orderCreated: false)
        }
        writes.append(PostgresStatement("COMMIT"))
        let committedThrough = writes.count
        if claimingOutbox { writes += Self.outbox.claimStatements(conversation: message.clientID) }
        let results = try connection.pipeline(writes)
        guard results.count == writes.count else { throw PostgresError(code: .unexpectedResult, message: "shoro step writes") }
        if let orderStatement { result.orderCreated = !results[orderStatement].isEmpty }
        let claim = claimingOutbox
            ? try Self.outbox.claim(conversation: message.clientID, results: results[committedThrough...]) : nil
        return (result, claim)
    }

    /// Records a failed attempt in message_logs (best effort, outside the step's transaction).
    public static func logFailure(_ message: Chat2DeskInbound, error: String, on connection: PostgresConnection) {
        _ = try? connection.query(
            """
            INSERT INTO message_logs (source, client_id, message_id, text, success, error_reason)
            VALUES ('chat2desk', $1, $2, $3, false, $4)
            ON CONFLICT (source, message_id) DO UPDATE SET error_reason = EXCLUDED.error_reason WHERE NOT message_logs.success
            """, [message.clientID, message.messageID, message.text, error])
    }

    /// Dialogs idle past the TTL get their `expired` outcome recorded (the drain's housekeeping),
    /// so drop-off statistics do not wait for the customer's next message.
    public func expireIdleDialogs(now: Double, on connection: PostgresConnection) throws -> Int {
        let rows = try connection.query(
            "SELECT client_id, dialog::text AS dialog FROM shoro_dialogs WHERE updated_at < now() - make_interval(secs => $1::double precision) LIMIT 500",
            [String(self.dialogTTLSeconds)])
        var expired = 0
        for row in rows {
            let clientID: String = try row.decode("client_id")
            guard var dialog = try? JSONDecoder().decode(ShoroDialog.self, from: Data((try row.decode("dialog", as: String.self)).utf8)),
                  !dialog.isFinished
            else { continue }
            var effects = dialog.expire(at: Date(timeIntervalSince1970: now))
            if effects.isEmpty { effects = self.forcedExpiry(dialog) }
            try connection.transaction { connection in
                for case .recordOutcome(let outcome) in effects {
                    try self.recordOutcome(outcome, clientID: clientID, dialogKey: dialog.orderKey, on: connection)
                }
                try connection.query(
                    "UPDATE shoro_dialogs SET dialog = $2::jsonb WHERE client_id = $1",
                    [clientID, String(decoding: try JSONEncoder().encode(dialog), as: UTF8.self)])
            }
            expired += 1
        }
        return expired
    }

    /// The configured TTL may be shorter than the dialog's own 24 h: record the expiry ourselves then.
    private func forcedExpiry(_ dialog: ShoroDialog) -> [ShoroDialog.Effect] {
        [.recordOutcome(DialogOutcome(
            kind: .expired, dropoffState: dialog.state.rawValue, totalMessages: dialog.messageCount,
            durationSeconds: Int(dialog.updatedAt.timeIntervalSince1970 - dialog.startedAt.timeIntervalSince1970),
            restartCount: dialog.restartCount))]
    }

    private func recordOutcome(
        _ outcome: DialogOutcome, clientID: String, dialogKey: String, on connection: PostgresConnection
    ) throws {
        try connection.pipeline([self.outcomeStatement(outcome, clientID: clientID, dialogKey: dialogKey)])
    }

    private func outcomeStatement(_ outcome: DialogOutcome, clientID: String, dialogKey: String) -> PostgresStatement {
        PostgresStatement(
            """
            INSERT INTO dialog_outcomes (client_id, dialog_id, outcome, completed, dropoff_state, total_messages, duration_seconds)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
            """, [clientID, dialogKey, outcome.kind.rawValue, outcome.completed ? "true" : "false",
                  outcome.completed ? nil : outcome.dropoffState, String(outcome.totalMessages), String(outcome.durationSeconds)])
    }
}
