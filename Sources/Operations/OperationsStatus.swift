public import Platform
public import Postgres
public import Redis

/// The figures an operator watches, in one place: `botctl status` prints them and the `/ops/` dashboard shows them.
///
/// Everything is read from data that exists anyway (the queues in Redis, `message_logs`, `outbox`, `scheduled_jobs`,
/// the `jobs:last_run` hash the cron jobs write), at one `now` the caller passes (time is an input).
public struct OperationsStatus: Codable, Sendable, Equatable {
    /// One inbound queue.
    public struct Queue: Codable, Sendable, Equatable {
        public let bot: String
        public let queue: String
        public let depth: Int
        public let conversations: Int
        public let deadLetters: Int
        public let oldestWaitSeconds: Double
    }

    /// Messages a bot handled (its `message_logs` rows) and replies its channel sent, per window.
    public struct Rates: Codable, Sendable, Equatable {
        public let bot: String
        public let handledLast5Minutes: Int
        public let handledLastHour: Int
        public let failedLastHour: Int
        public let repliesSentLast5Minutes: Int
        public let repliesSentLastHour: Int
    }

    /// The outbox of one channel.
    public struct OutboxChannel: Codable, Sendable, Equatable {
        public let channel: String
        public let pending: Int
        /// Pending rows whose next attempt is more than `overdueAfterSeconds` late (nobody is sending them).
        public let overdue: Int
        public let dead: Int
        public let oldestPendingSeconds: Double
    }

    /// The delayed jobs.
    public struct Jobs: Codable, Sendable, Equatable {
        public let pending: Int
        public let due: Int
        public let overdue: Int
        public let dead: Int
    }

    /// The last successful run of a cron job (nil: never, or not recorded yet).
    public struct LastRun: Codable, Sendable, Equatable {
        public let job: String
        public let at: Double?
        public let secondsAgo: Double?
    }

    public let generatedAt: Double
    public let queues: [Queue]
    public let rates: [Rates]
    public let outbox: [OutboxChannel]
    public let jobs: Jobs
    public let lastRuns: [LastRun]
}

/// A bot as the operator tools see it: its inbound queue, its `message_logs.source` and its outbox channel.
public struct OperatedBot: Sendable {
    public let name: String
    public let queue: InboundQueue
    public let source: String
    public let channel: String

    public static let shoro = OperatedBot(name: "shoro", queue: .shoro, source: "chat2desk", channel: "chat2desk")
    public static let academy = OperatedBot(name: "academy", queue: .academy, source: "telegram", channel: "telegram")

    /// The bots this deployment runs.
    public static func enabled(in config: AppConfig) -> [OperatedBot] {
        config.enabledBots.compactMap { name in [Self.shoro, Self.academy].first { $0.name == name } }
    }
}

/// Reads `OperationsStatus`, the throughput series and the latest orders and leads.
public struct OperationsReadModel: Sendable {
    /// The cron jobs whose last run is shown, as named in the `jobs:last_run` hash (see contracts: written by each job).
    public static let cronJobs = ["cron-drain", "cron-outbox", "cron-due-jobs", "cron-sheets-sync", "cron-prune"]
    public static let lastRunKey = "jobs:last_run"

    public let bots: [OperatedBot]
    /// How late a due job or outbox row may be before it counts as overdue (cron runs every minute).
    public let overdueAfterSeconds: Double

    public init(bots: [OperatedBot], overdueAfterSeconds: Double = 60) {
        self.bots = bots
        self.overdueAfterSeconds = overdueAfterSeconds
    }

    public func status(now: Double, redis: RedisConnection, postgres: PostgresConnection) throws -> OperationsStatus {
        let queues = try self.bots.map { bot in
            let figures = try bot.queue.figures(on: redis)
            return OperationsStatus.Queue(
                bot: bot.name, queue: bot.queue.name, depth: figures.depth, conversations: figures.conversations,
                deadLetters: figures.deadLetters, oldestWaitSeconds: figures.oldestWaitSeconds)
        }
        let runs = try redis.command(["HMGET", Self.lastRunKey] + Self.cronJobs).array ?? []
        let lastRuns = Self.cronJobs.enumerated().map { index, job in
            let at = index < runs.count ? runs[index].string.flatMap(Double.init) : nil
            return OperationsStatus.LastRun(job: job, at: at, secondsAgo: at.map { max(0, now - $0) })
        }
        let time = String(now)
        let rates = try self.bots.map { bot in
            let row = try postgres.queryOne(
                """
                SELECT
                  (SELECT count(*) FROM message_logs WHERE source = $1 AND success
                     AND "timestamp" > to_timestamp($3::float8) - interval '5 minutes' AND "timestamp" <= to_timestamp($3::float8)) AS handled5,
                  (SELECT count(*) FROM message_logs WHERE source = $1 AND success
                     AND "timestamp" > to_timestamp($3::float8) - interval '1 hour' AND "timestamp" <= to_timestamp($3::float8)) AS handled60,
                  (SELECT count(*) FROM message_logs WHERE source = $1 AND NOT success
                     AND "timestamp" > to_timestamp($3::float8) - interval '1 hour' AND "timestamp" <= to_timestamp($3::float8)) AS failed60,
                  (SELECT count(*) FROM outbox WHERE channel = $2 AND status = 'sent'
                     AND sent_at > to_timestamp($3::float8) - interval '5 minutes' AND sent_at <= to_timestamp($3::float8)) AS sent5,
                  (SELECT count(*) FROM outbox WHERE channel = $2 AND status = 'sent'
                     AND sent_at > to_timestamp($3::float8) - interval '1 hour' AND sent_at <= to_timestamp($3::float8)) AS sent60
                """, [bot.source, bot.channel, time])
            return OperationsStatus.Rates(
                bot: bot.name, handledLast5Minutes: try row.decode("handled5"), handledLastHour: try row.decode("handled60"),
                failedLastHour: try row.decode("failed60"), repliesSentLast5Minutes: try row.decode("sent5"),
                repliesSentLastHour: try row.decode("sent60"))
        }
        let outbox = try postgres.query(
            """
            SELECT channel,
                   count(*) FILTER (WHERE status = 'pending') AS pending,
                   count(*) FILTER (WHERE status = 'pending' AND next_attempt_at < to_timestamp($1::float8 - $2::float8)) AS overdue,
                   count(*) FILTER (WHERE status = 'dead') AS dead,
                   coalesce(extract(epoch FROM to_timestamp($1::float8) - min(created_at) FILTER (WHERE status = 'pending')), 0)::float8 AS oldest
            FROM outbox WHERE status IN ('pending', 'dead') GROUP BY channel ORDER BY channel
            """, [time, String(self.overdueAfterSeconds)]
        ).map { row in
            OperationsStatus.OutboxChannel(
                channel: try row.decode("channel"), pending: try row.decode("pending"), overdue: try row.decode("overdue"),
                dead: try row.decode("dead"), oldestPendingSeconds: max(0, try row.decode("oldest")))
        }
        let jobsRow = try postgres.queryOne(
            """
            SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
                   count(*) FILTER (WHERE status = 'pending' AND run_at <= to_timestamp($1::float8)) AS due,
                   count(*) FILTER (WHERE status = 'pending' AND run_at < to_timestamp($1::float8 - $2::float8)) AS overdue,
                   count(*) FILTER (WHERE status = 'dead') AS dead
            FROM scheduled_jobs WHERE status IN ('pending', 'dead')
            """, [time, String(self.overdueAfterSeconds)])
        let jobs = OperationsStatus.Jobs(
            pending: try jobsRow.decode("pending"), due: try jobsRow.decode("due"), overdue: try jobsRow.decode("overdue"),
            dead: try jobsRow.decode("dead"))
        return OperationsStatus(generatedAt: now, queues: queues, rates: rates, outbox: outbox, jobs: jobs, lastRuns: lastRuns)
    }

    /// Messages handled per minute over the last hour, per bot: `minutes` counts, oldest minute first.
    public struct Throughput: Codable, Sendable, Equatable {
        public let bot: String
        public let perMinute: [Int]
    }

    public func throughput(now: Double, minutes: Int = 60, postgres: PostgresConnection) throws -> [Throughput] {
        try self.bots.map { bot in
            var counts = [Int](repeating: 0, count: minutes)
            let rows = try postgres.query(
                """
                SELECT floor((extract(epoch FROM to_timestamp($2::float8) - "timestamp")) / 60)::int AS ago, count(*) AS n
                FROM message_logs WHERE source = $1 AND success
                  AND "timestamp" > to_timestamp($2::float8) - make_interval(mins => $3::int) AND "timestamp" <= to_timestamp($2::float8)
                GROUP BY 1
                """, [bot.source, String(now), String(minutes)])
            for row in rows {
                let ago: Int = try row.decode("ago")
                if ago >= 0 && ago < minutes { counts[minutes - 1 - ago] = try row.decode("n") }
            }
            return Throughput(bot: bot.name, perMinute: counts)
        }
    }

    /// The latest Shoro orders (phone masked: the dashboard is for operations, not for reading customers' data).
    public struct RecentOrder: Codable, Sendable, Equatable {
        public let id: Int64
        public let createdAt: Double
        public let status: String
        public let phone: String
        public let bottles: Int
        public let address: String
    }

    public func recentOrders(limit: Int = 20, postgres: PostgresConnection) throws -> [RecentOrder] {
        try postgres.query(
            """
            SELECT id, extract(epoch FROM created_at)::float8 AS created, status, client_phone, bottles_count, delivery_address
            FROM orders ORDER BY id DESC LIMIT $1
            """, [String(limit)]
        ).map { row in
            RecentOrder(
                id: try row.decode("id"), createdAt: try row.decode("created"), status: try row.decode("status"),
                phone: Redact.phone(try row.decode("client_phone")), bottles: try row.decode("bottles_count"),
                address: try row.decode("delivery_address"))
        }
    }

    /// The latest Academy leads, phone and email masked.
    public struct RecentLead: Codable, Sendable, Equatable {
        public let id: Int64
        public let createdAt: Double
        public let source: String
        public let status: String
        public let name: String
        public let phone: String
        public let email: String
        public let botActivated: Bool
    }

    public func recentLeads(limit: Int = 20, postgres: PostgresConnection) throws -> [RecentLead] {
        try postgres.query(
            """
            SELECT id, extract(epoch FROM created_at)::float8 AS created, source, status, name, phone, email, bot_activated
            FROM leads ORDER BY id DESC LIMIT $1
            """, [String(limit)]
        ).map { row in
            RecentLead(
                id: try row.decode("id"), createdAt: try row.decode("created"), source: try row.decode("source"),
                status: try row.decode("status"), name: try row.decode("name"),
                phone: (try row.decodeIfPresent("phone", as: String.self)).map(Redact.phone) ?? "",
                email: (try row.decodeIfPresent("email", as: String.self)).map(Redact.email) ?? "",
                botActivated: try row.decode("bot_activated"))
        }
    }
}
