/// Retention (`cron-prune`, `botctl prune`): how long each kind of stored data is kept. Every variable has a default.
public struct RetentionSettings: Sendable, Equatable {
    /// `RETENTION_MESSAGE_TEXT_DAYS` (default 90): customers' texts in `message_logs` are blanked after this many
    /// days. The rows stay: a successful row marks a handled message (a replayed one is skipped) and feeds statistics.
    public var messageTextDays: Int
    /// `RETENTION_SENT_OUTBOX_DAYS` (default 30): sent replies (`outbox` rows with status `sent`) are deleted.
    public var sentOutboxDays: Int
    /// `RETENTION_FINISHED_JOB_DAYS` (default 30): done and cancelled delayed jobs are deleted.
    public var finishedJobDays: Int
    /// `RETENTION_LEAD_EVENT_DAYS` (default 365): a lead's history entries (`lead_events`); the lead itself stays.
    public var leadEventDays: Int
    /// `RETENTION_DEAD_LETTER_DAYS` (default 90): dead outbox rows, dead delayed jobs and the Redis dead letters of
    /// the inbound queues are deleted this long after they died.
    public var deadLetterDays: Int
    /// `RETENTION_DEAD_LETTER_MAX` (default 10000): at most this many dead letters per inbound queue (the newest).
    public var deadLetterMax: Int
    /// `RETENTION_BATCH_SIZE` (default 1000): rows per statement, so a large backlog never holds long locks.
    public var batchSize: Int

    public init(
        messageTextDays: Int = 90, sentOutboxDays: Int = 30, finishedJobDays: Int = 30, leadEventDays: Int = 365,
        deadLetterDays: Int = 90, deadLetterMax: Int = 10_000, batchSize: Int = 1000
    ) {
        self.messageTextDays = messageTextDays
        self.sentOutboxDays = sentOutboxDays
        self.finishedJobDays = finishedJobDays
        self.leadEventDays = leadEventDays
        self.deadLetterDays = deadLetterDays
        self.deadLetterMax = deadLetterMax
        self.batchSize = batchSize
    }

    static func read(_ reader: inout EnvironmentReader) -> RetentionSettings {
        let days = 1...36_500
        return RetentionSettings(
            messageTextDays: reader.int("RETENTION_MESSAGE_TEXT_DAYS", default: 90, range: days),
            sentOutboxDays: reader.int("RETENTION_SENT_OUTBOX_DAYS", default: 30, range: days),
            finishedJobDays: reader.int("RETENTION_FINISHED_JOB_DAYS", default: 30, range: days),
            leadEventDays: reader.int("RETENTION_LEAD_EVENT_DAYS", default: 365, range: days),
            deadLetterDays: reader.int("RETENTION_DEAD_LETTER_DAYS", default: 90, range: days),
            deadLetterMax: reader.int("RETENTION_DEAD_LETTER_MAX", default: 10_000, range: 0...10_000_000),
            batchSize: reader.int("RETENTION_BATCH_SIZE", default: 1000, range: 1...100_000))
    }
}
