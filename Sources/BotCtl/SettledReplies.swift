import Platform
import Postgres
import Storage

/// What the chat simulators show after each line: the replies of one inbound message, once its step committed (its
/// `message_logs` row says so) and every reply was sent or given up on (`sent`/`dead`). Both bots log and queue
/// their replies the same way, so one poll serves both.
struct SettledReplies {
    /// `message_logs.source` and `outbox.channel` of the bot.
    let source: String
    let channel: String
    let timeout: Double

    /// The replies' payloads (JSON text) and statuses, in send order; nil when the step did not commit in time
    /// (no drainer running). Replies still pending at the last second are returned as they are.
    func wait(messageID: String, sourceKeyPrefix: String, on connection: PostgresConnection) throws -> [(payload: String, status: String)]?
    {
        let deadline = monotonicSeconds() + self.timeout
        while monotonicSeconds() < deadline {
            if try MessageLog(source: self.source).isHandled(messageID: messageID, on: connection) {
                let rows = try connection.query(
                    "SELECT payload::text AS payload, status FROM outbox WHERE channel = $1 AND source_key LIKE $2 ORDER BY id",
                    [self.channel, sourceKeyPrefix + "%"])
                if rows.allSatisfy({ $0["status"] != "pending" }) || monotonicSeconds() > deadline - 1 {
                    return rows.map { (payload: $0["payload"] ?? "", status: $0["status"] ?? "") }
                }
            }
            sleepSeconds(0.05)
        }
        return nil
    }

    /// What to print when nothing came back.
    var noReply: String { "(no reply within \(Int(self.timeout)) s — is cron-drain running?)" }
}
