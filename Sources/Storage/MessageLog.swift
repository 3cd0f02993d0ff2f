public import Postgres

/// `message_logs`: one row per inbound message of a bot (what the customer sent and the step it met), written in the
/// same transaction as the step's effects. A row with `success` is the drains' proof that a message was handled, so a
/// redelivered message is never handled twice; a row without it records why the last attempt failed.
public struct MessageLog: Sendable {
    /// The bot's inbound channel, `message_logs.source` (`chat2desk`, `telegram`).
    public let source: String

    public init(source: String) { self.source = source }

    /// One handled message.
    public struct Entry: Sendable {
        public var clientID: String
        public var messageID: String
        public var text: String
        /// The dialog step the message met (nil when it met none: an ignored update).
        public var dialogState: String?

        public init(clientID: String, messageID: String, text: String, dialogState: String?) {
            self.clientID = clientID
            self.messageID = messageID
            self.text = text
            self.dialogState = dialogState
        }
    }

    /// Records handled messages, for the step's transaction. A failure recorded earlier is overwritten.
    public func recordHandled(_ entries: [Entry]) -> PostgresStatement {
        PostgresStatement(
            """
            INSERT INTO message_logs (source, client_id, message_id, text, dialog_state, success)
            SELECT $1, t.client_id, t.message_id, t.text, t.state, true
            FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS t(client_id, message_id, text, state)
            ON CONFLICT (source, message_id) DO UPDATE SET success = true, error_reason = NULL, dialog_state = EXCLUDED.dialog_state
            """,
            [
                self.source, PostgresArray.literal(entries.map(\.clientID)), PostgresArray.literal(entries.map(\.messageID)),
                PostgresArray.literal(entries.map(\.text)), PostgresArray.literal(entries.map(\.dialogState)),
            ])
    }

    /// Which of these messages were handled already: their ids, as one statement of a read pipeline (`handled(in:)`
    /// reads its rows).
    ///
    /// One lookup per id (a `LIMIT 1` lateral on the `(source, message_id)` key), not `message_id = ANY($2)`: the
    /// statement is prepared once per connection, and a generic plan made while the table was small can stay a
    /// sequential scan as it grows (see `Outbox`'s outcome statements).
    public func handledStatement(messageIDs: [String]) -> PostgresStatement {
        PostgresStatement(
            """
            SELECT t.message_id FROM unnest($2::text[]) AS t(message_id)
            CROSS JOIN LATERAL (
                SELECT 1 FROM message_logs m WHERE m.source = $1 AND m.message_id = t.message_id AND m.success LIMIT 1
            ) AS logged
            """,
            [self.source, PostgresArray.literal(messageIDs)])
    }

    /// The ids in the rows of `handledStatement`.
    public func handled(in rows: [PostgresRow]) throws -> Set<String> {
        Set(try rows.map { try $0.decode("message_id") as String })
    }

    /// Whether this message was handled.
    public func isHandled(messageID: String, on connection: PostgresConnection) throws -> Bool {
        !(try self.handled(in: connection.pipeline([self.handledStatement(messageIDs: [messageID])])[0])).isEmpty
    }

    /// Records a failed attempt (best effort, outside the step's transaction); a handled message stays handled.
    public func recordFailure(_ entry: Entry, error: String, on connection: PostgresConnection) {
        _ = try? connection.query(
            """
            INSERT INTO message_logs (source, client_id, message_id, text, success, error_reason)
            VALUES ($1, $2, $3, $4, false, $5)
            ON CONFLICT (source, message_id) DO UPDATE SET error_reason = EXCLUDED.error_reason WHERE NOT message_logs.success
            """, [self.source, entry.clientID, entry.messageID, entry.text, error])
    }
}
