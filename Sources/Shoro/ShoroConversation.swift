public import BotCore
import FoundationEssentials
public import Postgres

/// One client's conversation as the operators' tools see and change it (`botctl conversation`, `botctl chat`).
/// Changes lock the dialog row as a step does, so they never race a drainer.
public enum ShoroConversation {
    /// The stored dialog, nil when the client has none (never wrote, or was reset).
    public static func dialog(clientID: String, on connection: PostgresConnection) throws -> ShoroDialog? {
        try connection.query("SELECT dialog::text AS dialog FROM shoro_dialogs WHERE client_id = $1", [clientID]).first
            .flatMap { try? JSONDecoder().decode(ShoroDialog.self, from: Data((try $0.decode("dialog", as: String.self)).utf8)) }
    }

    /// Silences the bot for the client for `seconds` (a dialog is opened to hold the pause if there is none).
    public static func pause(clientID: String, seconds: Double, now: Double, on connection: PostgresConnection) throws {
        try self.change(clientID: clientID, now: now, on: connection) {
            $0.pause(.manual, at: Date(timeIntervalSince1970: now), seconds: seconds)
        }
    }

    /// Hands the conversation back to the bot; returns whether it was paused.
    @discardableResult
    public static func resume(clientID: String, now: Double, on connection: PostgresConnection) throws -> Bool {
        var wasPaused = false
        try self.change(clientID: clientID, now: now, on: connection) { wasPaused = $0.handBack() }
        return wasPaused
    }

    /// Forgets the dialog: the client's next message starts a new one. Returns whether there was one.
    @discardableResult
    public static func reset(clientID: String, on connection: PostgresConnection) throws -> Bool {
        !(try connection.query("DELETE FROM shoro_dialogs WHERE client_id = $1 RETURNING client_id", [clientID])).isEmpty
    }

    private static func change(
        clientID: String, now: Double, on connection: PostgresConnection, _ body: (inout ShoroDialog) -> Void
    ) throws {
        do {
            let rows = try connection.pipeline([
                PostgresStatement("BEGIN"),
                PostgresStatement("SELECT dialog::text AS dialog FROM shoro_dialogs WHERE client_id = $1 FOR UPDATE", [clientID]),
            ])
            let stored = rows[1].first.flatMap { row in
                try? JSONDecoder().decode(ShoroDialog.self, from: Data((try row.decode("dialog", as: String.self)).utf8))
            }
            let date = Date(timeIntervalSince1970: now)
            var dialog =
                stored.flatMap { $0.isFinished || $0.isExpired(at: date) ? nil : $0 }
                ?? ShoroDialog(id: "botctl-\(Int64(now * 1000))", startedAt: date, returning: nil)
            body(&dialog)
            try connection.pipeline([
                PostgresStatement(
                    """
                    INSERT INTO shoro_dialogs (client_id, dialog, updated_at) VALUES ($1, $2::jsonb, now())
                    ON CONFLICT (client_id) DO UPDATE SET dialog = EXCLUDED.dialog, updated_at = now()
                    """, [clientID, String(decoding: try JSONEncoder().encode(dialog), as: UTF8.self)]),
                PostgresStatement("COMMIT"),
            ])
        } catch {
            if connection.isHealthy { connection.rollbackIfInTransaction() }
            throw error
        }
    }

    /// One line of the conversation's history.
    public struct Entry: Sendable {
        public let at: String
        /// "in" (the client), "operator" (a person at the desk), "close_dialog", "out" (the bot's reply), "note" (to the team).
        public let direction: String
        public let text: String
        /// The inbound message's step (`paused:` while silenced), or the send's status and attempts.
        public let detail: String
    }

    /// The last `limit` messages both ways, oldest first: inbound from `message_logs`, outbound from the outbox.
    public static func history(clientID: String, limit: Int, on connection: PostgresConnection) throws -> [Entry] {
        try connection.query(
            """
            SELECT * FROM (
                -- One step's rows share its transaction's time: the inbound message sorts before its replies.
                SELECT "timestamp" AS at, 0 AS side, id, CASE dialog_state WHEN 'operator' THEN 'operator' WHEN 'close_dialog' THEN 'close_dialog' ELSE 'in' END AS direction,
                       text, CASE WHEN success THEN coalesce(dialog_state, '') ELSE 'failed: ' || coalesce(error_reason, '') END AS detail
                FROM message_logs WHERE source = 'chat2desk' AND client_id = $1
                UNION ALL
                SELECT created_at, 1, id, CASE WHEN payload->>'type' = 'comment' THEN 'note' ELSE 'out' END, payload->>'text',
                       status || CASE WHEN attempts > 0 THEN ' after ' || attempts || ' failed attempt(s): ' || coalesce(last_error, '') ELSE '' END
                FROM outbox WHERE channel = 'chat2desk' AND conversation = $1
                ORDER BY at DESC, side DESC, id DESC LIMIT $2
            ) AS recent ORDER BY at, side, id
            """, [clientID, String(limit)]
        ).map { row in
            Entry(
                at: String((row["at"] ?? "").prefix(19)), direction: row["direction"] ?? "", text: row["text"] ?? "",
                detail: row["detail"] ?? "")
        }
    }

    /// The client's replies still waiting to be sent (id, attempts, next attempt, last error).
    public static func pendingSends(clientID: String, on connection: PostgresConnection) throws -> [PostgresRow] {
        try connection.query(
            """
            SELECT id, attempts, to_char(next_attempt_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS next_attempt,
                   coalesce(last_error, '') AS last_error, payload->>'text' AS text
            FROM outbox WHERE channel = 'chat2desk' AND conversation = $1 AND status = 'pending' ORDER BY id
            """, [clientID])
    }
}
