public import Platform
public import Postgres
public import Redis

/// Retention (`cron-prune`, `botctl prune`): finds what is older than `RetentionSettings` allows and removes it in
/// batches of `batchSize` rows, each its own short statement, so a large backlog never holds a long lock or a long
/// transaction. PostgreSQL's clock decides the age of rows, Redis's the age of dead letters.
public struct Retention: Sendable {
    /// How many rows or letters of one kind are expired (a dry run) or were removed.
    public struct Count: Sendable, Equatable, CustomStringConvertible {
        /// What they are, e.g. `outbox.sent` or `dead_letters.shoro`.
        public let name: String
        public let count: Int
        /// The age limit in days, nil for a count limit alone.
        public let days: Int?

        public var description: String { "\(self.name): \(self.count)" + (self.days.map { " (older than \($0) days)" } ?? "") }
    }

    /// One kind of expired rows: where they are and what makes them expired (`$1` is the age in days).
    struct Rule {
        let name: String
        let table: String
        let condition: String
        let days: Int
        /// Customers' texts are blanked, not deleted: the row marks a handled message.
        var blanksText = false
    }

    public let settings: RetentionSettings
    /// The inbound queues whose dead letters are kept to `deadLetterDays` and `deadLetterMax`.
    public let queues: [InboundQueue]

    public init(settings: RetentionSettings, queues: [InboundQueue]) {
        self.settings = settings
        self.queues = queues
    }

    var rules: [Rule] {
        let s = self.settings
        return [
            Rule(
                name: "message_logs.text", table: "message_logs",
                condition: "\"timestamp\" < now() - make_interval(days => $1::int) AND text <> ''",
                days: s.messageTextDays, blanksText: true),
            Rule(
                name: "outbox.sent", table: "outbox",
                condition: "status = 'sent' AND sent_at < now() - make_interval(days => $1::int)", days: s.sentOutboxDays),
            Rule(
                name: "outbox.dead", table: "outbox",
                condition: "status IN ('dead', 'discarded') AND created_at < now() - make_interval(days => $1::int)", days: s.deadLetterDays
            ),
            Rule(
                name: "scheduled_jobs.finished", table: "scheduled_jobs",
                condition: "status IN ('done', 'cancelled') AND finished_at < now() - make_interval(days => $1::int)",
                days: s.finishedJobDays),
            Rule(
                name: "scheduled_jobs.dead", table: "scheduled_jobs",
                condition: "status = 'dead' AND finished_at < now() - make_interval(days => $1::int)", days: s.deadLetterDays),
            Rule(
                name: "lead_events", table: "lead_events",
                condition: "created_at < now() - make_interval(days => $1::int)", days: s.leadEventDays),
        ]
    }

    /// What a prune would remove now, changing nothing (`botctl prune --dry-run`).
    public func expired(postgres: PostgresConnection, redis: RedisConnection) throws -> [Count] {
        try self.rules.map { rule in
            let row = try postgres.queryOne(
                "SELECT count(*) AS n FROM \(rule.table) WHERE \(rule.condition)", [String(rule.days)])
            return Count(name: rule.name, count: try row.decode("n"), days: rule.days)
        } + self.deadLetters(dryRun: true, on: redis)
    }

    /// Removes one batch of each kind of expired rows and every expired dead letter; an empty total means nothing
    /// expired is left. Callers repeat it (`cron-prune` within its run, `removeAll` at once).
    public func removeBatch(postgres: PostgresConnection, redis: RedisConnection) throws -> [Count] {
        try self.rules.map { rule in
            let change = rule.blanksText ? "UPDATE \(rule.table) SET text = ''" : "DELETE FROM \(rule.table)"
            let row = try postgres.queryOne(
                """
                WITH batch AS (
                  \(change) WHERE id IN (
                    SELECT id FROM \(rule.table) WHERE \(rule.condition) ORDER BY id LIMIT $2)
                  RETURNING 1)
                SELECT count(*) AS n FROM batch
                """, [String(rule.days), String(self.settings.batchSize)])
            return Count(name: rule.name, count: try row.decode("n"), days: rule.days)
        } + self.deadLetters(dryRun: false, on: redis)
    }

    /// Batches until nothing expired is left or `shouldContinue` says stop; the totals per kind.
    public func removeAll(
        postgres: PostgresConnection, redis: RedisConnection, shouldContinue: () -> Bool = { true }
    ) throws -> [Count] {
        var totals: [Count] = []
        repeat {
            let batch = try self.removeBatch(postgres: postgres, redis: redis)
            totals = Self.adding(batch, to: totals)
            if batch.allSatisfy({ $0.count == 0 }) { break }
        } while shouldContinue()
        return totals
    }

    /// Per-kind sums of two reports (an empty `totals` takes `batch` as it is).
    public static func adding(_ batch: [Count], to totals: [Count]) -> [Count] {
        guard !totals.isEmpty else { return batch }
        return zip(totals, batch).map { Count(name: $0.name, count: $0.count + $1.count, days: $0.days) }
    }

    private func deadLetters(dryRun: Bool, on redis: RedisConnection) throws -> [Count] {
        try self.queues.map { queue in
            let count = try queue.pruneDeadLetters(
                olderThanSeconds: Double(self.settings.deadLetterDays) * 86400, keep: self.settings.deadLetterMax,
                dryRun: dryRun, on: redis)
            return Count(name: "dead_letters.\(queue.name)", count: count, days: self.settings.deadLetterDays)
        }
    }
}
