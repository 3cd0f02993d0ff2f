import FoundationEssentials
public import Platform
public import Postgres
public import Redis
public import Storage

/// The alerts `cron-outbox` raises by looking (every `--watch-seconds`, 15 s): the stall causes `/health`
/// reports (`MonitoringSnapshot.stalls`), and new dead letters of every kind — a count above the one seen last time
/// (kept in Redis, so a restart or another host does not alert again for the same letters). Watching counts catches
/// every way a letter dies (the drains, the outbox senders, the due-jobs runner, botctl) without touching those paths.
public struct AlertWatcher {
    public let config: AppConfig
    public let alerts: Alerts

    /// The dead-letter counts seen by the last pass: field (`inbound:<queue>`, `outbox:<channel>`, `job`) → count.
    public static let seenKey = "alerts:dead_seen"

    public init(config: AppConfig) {
        self.config = config
        self.alerts = Alerts(config.monitoring)
    }

    /// One look; returns the kinds whose alert was queued.
    @discardableResult
    public func pass(postgres: PostgresConnection, redis: RedisConnection) throws -> [Alerts.Kind] {
        guard self.alerts.isEnabled else { return [] }
        let queues = HealthHandler.queues(for: self.config)
        var snapshot = try MonitoringSnapshot.readRedis(queues: queues, on: redis)
        let database = try MonitoringSnapshot.readDatabase(overdueSeconds: self.config.monitoring.maxJobDelaySeconds, on: postgres)
        snapshot.database = database
        var raised: [Alerts.Kind] = []
        let causes = snapshot.stalls(self.config.monitoring)
        if !causes.isEmpty, try self.alerts.raise(kind: .stall, text: causes.joined(separator: "\n"), on: postgres, redis: redis) {
            raised.append(.stall)
        }

        var counts: [String: Int] = [:]
        for (name, state) in snapshot.queues { counts["inbound:" + name] = state.deadLetters }
        for row in database.outbox where row.status == "dead" { counts["outbox:" + row.provider] = row.count }
        counts["job"] = database.jobsDead
        let stored = (try redis.command(["HGETALL", Self.seenKey]).array ?? []).compactMap(\.string)
        var seen: [String: Int] = [:]
        for index in stride(from: 0, to: stored.count - 1, by: 2) { seen[stored[index]] = Int(stored[index + 1]) }
        let grown = counts.filter { $0.value > seen[$0.key, default: 0] }.keys.sorted()

        for (kind, prefix) in [(Alerts.Kind.deadLetterInbound, "inbound:"), (.deadLetterOutbox, "outbox:"), (.deadLetterJob, "job")] {
            let fields = grown.filter { $0.hasPrefix(prefix) }
            guard !fields.isEmpty else { continue }
            var lines = fields.map { "\($0): \(counts[$0] ?? 0) dead (was \(seen[$0, default: 0]))" }
            lines += try self.newest(kind, fields: fields, queues: queues, postgres: postgres, redis: redis)
            lines.append("See `botctl dlq list`.")
            if try self.alerts.raise(kind: kind, text: lines.joined(separator: "\n"), on: postgres, redis: redis) {
                raised.append(kind)
            }
        }
        // Stored after the alerts were queued: a pass that failed before looks again next time.
        let changed = counts.filter { seen[$0.key] != $0.value }
        if !changed.isEmpty {
            _ = try redis.command(["HSET", Self.seenKey] + changed.flatMap { [$0.key, String($0.value)] })
        }
        return raised
    }

    /// The newest dead letter of the grown origins, as one line: where, which conversation, the error.
    private func newest(
        _ kind: Alerts.Kind, fields: [String], queues: [InboundQueue], postgres: PostgresConnection, redis: RedisConnection
    ) throws -> [String] {
        switch kind {
        case .deadLetterInbound:
            return try fields.compactMap { field in
                guard let queue = queues.first(where: { "inbound:" + $0.name == field }),
                    let record = try queue.deadLetterRecords(on: redis).last,
                    let letter = try? JSONDecoder().decode(InboundQueue.DeadLetter.self, from: Data(record.utf8))
                else { return nil }
                return "newest in \(queue.name): conversation \(letter.conversation), after \(letter.attempts) attempt(s): \(letter.error)"
            }
        case .deadLetterOutbox:
            return try postgres.query(
                "SELECT channel, conversation, coalesce(last_error, '') AS error FROM outbox WHERE status = 'dead' ORDER BY id DESC LIMIT 1"
            ).map {
                "newest: \(try $0.decode("channel") as String) conversation \(try $0.decode("conversation") as String): \(try $0.decode("error") as String)"
            }
        default:
            return try postgres.query(
                "SELECT id, kind, coalesce(last_error, '') AS error FROM scheduled_jobs WHERE status = 'dead' ORDER BY finished_at DESC NULLS LAST LIMIT 1"
            ).map {
                "newest: job \(try $0.decode("id") as String) (\(try $0.decode("kind") as String)): \(try $0.decode("error") as String)"
            }
        }
    }
}
