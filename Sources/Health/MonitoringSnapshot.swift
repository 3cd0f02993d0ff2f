import Edge
public import Platform
public import Postgres
public import Redis
import Storage

/// What `/metrics` and `/health` read at request time: the Redis side in a few round trips (one per queue, one for
/// the shared counters, the last runs and the clock), the PostgreSQL side in one pipeline.
public struct MonitoringSnapshot: Sendable {
    public var queues: [(name: String, state: InboundQueue.Snapshot)] = []
    /// `metrics:counters` as stored (see `MetricField`).
    public var counters: [String: Double] = [:]
    /// `jobs:last_run`: job → unix seconds.
    public var lastRuns: [String: Int64] = [:]
    /// Redis's clock, unix seconds (the last runs were written with it).
    public var redisNow: Double = 0
    public var database: Database?

    /// The PostgreSQL figures.
    public struct Database: Sendable {
        /// (provider, status) → count, for `pending` and `dead` outbox rows.
        public var outbox: [(provider: String, status: String, count: Int)] = []
        public var jobsDue = 0
        public var jobsOverdue = 0
        public var jobsDead = 0
        public var ordersCreated = 0
        /// lead source → count.
        public var leadsCreated: [(source: String, count: Int)] = []
        public var lessonsBooked = 0
    }

    /// The Redis side.
    public static func readRedis(queues: [InboundQueue], on redis: RedisConnection) throws -> Self {
        var snapshot = Self()
        for queue in queues { snapshot.queues.append((queue.name, try queue.snapshot(on: redis))) }
        let replies = try redis.pipeline([["HGETALL", Metrics.countersKey], ["TIME"]])
        let counters = replies[0].array ?? []
        for index in stride(from: 0, to: counters.count - 1, by: 2) {
            if let field = counters[index].string, let value = counters[index + 1].string.flatMap(Double.init) {
                snapshot.counters[field] = value
            }
        }
        if let time = replies[1].array, time.count == 2, let seconds = time[0].integer, let micros = time[1].integer {
            snapshot.redisNow = Double(seconds) + Double(micros) / 1_000_000
        }
        snapshot.lastRuns = try JobRuns.lastRuns(on: redis)
        return snapshot
    }

    /// The PostgreSQL side in one round trip; `overdueSeconds` is how late a pending job must be to count as overdue.
    public static func readDatabase(overdueSeconds: Double, on connection: PostgresConnection) throws -> Database {
        let results = try connection.pipeline([
            PostgresStatement(
                "SELECT channel, status, count(*)::bigint AS n FROM outbox WHERE status IN ('pending', 'dead') GROUP BY 1, 2 ORDER BY 1, 2"),
            PostgresStatement(
                """
                SELECT count(*) FILTER (WHERE status = 'pending' AND run_at <= now())::bigint AS due,
                       count(*) FILTER (WHERE status = 'pending' AND run_at <= now() - make_interval(secs => $1::double precision))::bigint AS overdue,
                       count(*) FILTER (WHERE status = 'dead')::bigint AS dead
                FROM scheduled_jobs WHERE status IN ('pending', 'dead') AND (status = 'dead' OR run_at <= now())
                """, [String(overdueSeconds)]),
            PostgresStatement("SELECT count(*)::bigint AS n FROM orders"),
            PostgresStatement("SELECT source, count(*)::bigint AS n FROM leads GROUP BY 1 ORDER BY 1"),
            PostgresStatement("SELECT count(*)::bigint AS n FROM lead_events WHERE event = 'LESSON_SCHEDULED'"),
        ])
        var database = Database()
        database.outbox = try results[0].map {
            (try $0.decode("channel"), try $0.decode("status"), Int(try $0.decode("n", as: Int64.self)))
        }
        if let jobs = results[1].first {
            database.jobsDue = Int(try jobs.decode("due", as: Int64.self))
            database.jobsOverdue = Int(try jobs.decode("overdue", as: Int64.self))
            database.jobsDead = Int(try jobs.decode("dead", as: Int64.self))
        }
        database.ordersCreated = Int(try results[2].first?.decode("n", as: Int64.self) ?? 0)
        database.leadsCreated = try results[3].map { (try $0.decode("source"), Int(try $0.decode("n", as: Int64.self))) }
        database.lessonsBooked = Int(try results[4].first?.decode("n", as: Int64.self) ?? 0)
        return database
    }

    /// Why the service needs a person, one short text per cause (empty when nothing stalls).
    public func stalls(_ limits: AppConfig.Monitoring) -> [String] {
        var causes: [String] = []
        let waiting = self.queues.reduce(0) { $0 + $1.state.depth }
        for (name, state) in self.queues where state.oldestAgeSeconds > limits.maxQueueAgeSeconds {
            causes.append(
                "queue \(name): a message has waited \(Int(state.oldestAgeSeconds)) s (limit \(Int(limits.maxQueueAgeSeconds)) s)")
        }
        if waiting > 0 {
            // A drain reports while it runs (every `JobRuns.heartbeatSeconds`) and when it ends. Before any drain has
            // run (a fresh install), the oldest message's wait is the time without one.
            let idle =
                self.lastRuns["cron-drain"].map { self.redisNow - Double($0) }
                ?? self.queues.map(\.state.oldestAgeSeconds).max() ?? 0
            if idle > limits.maxDrainIdleSeconds {
                causes.append(
                    "drain: \(waiting) message(s) wait and no cron-drain has run for \(Int(idle)) s"
                        + (self.lastRuns["cron-drain"] == nil ? " (never since the install)" : "")
                        + " (limit \(Int(limits.maxDrainIdleSeconds)) s)")
            }
        }
        if let database = self.database, database.jobsOverdue > 0 {
            causes.append("jobs: \(database.jobsOverdue) delayed job(s) overdue by more than \(Int(limits.maxJobDelaySeconds)) s")
        }
        return causes
    }

    /// The whole `/metrics` exposition: the shared counters and histograms, then the gauges read now.
    public func exposition() -> String {
        typealias Family = MetricsExposition.Family
        typealias Sample = MetricsExposition.Sample
        var families = MetricField.families(from: self.counters)
        // Queued and duplicate webhooks are counted by the enqueue script, per queue; they join the same family.
        if let index = families.firstIndex(where: { $0.name == MetricCatalog.webhooks.name }) {
            var samples = families[index].samples
            for (_, state) in self.queues {
                for (route, outcomes) in state.webhooks.sorted(by: { $0.key < $1.key }) {
                    for (outcome, value) in outcomes.sorted(by: { $0.key < $1.key }) {
                        samples.append(Sample(labels: [("route", route), ("outcome", outcome)], value: value))
                    }
                }
            }
            families[index].samples = samples
        }
        families.append(
            Family(
                "chatbots_queue_depth", .gauge, help: "Inbound messages waiting or in flight, per queue.",
                samples: self.queues.map { Sample(labels: [("queue", $0.name)], value: Double($0.state.depth)) }))
        families.append(
            Family(
                "chatbots_queue_oldest_age_seconds", .gauge,
                help:
                    "How long the longest-waiting conversation's current message has waited (since it arrived, or since the one before it was done), per queue.",
                samples: self.queues.map { Sample(labels: [("queue", $0.name)], value: $0.state.oldestAgeSeconds) }))
        families.append(
            Family(
                "chatbots_dead_letters", .gauge, help: "Inbound messages in the dead-letter list, per queue.",
                samples: self.queues.map { Sample(labels: [("queue", $0.name)], value: Double($0.state.deadLetters)) }))
        families.append(
            Family(
                "chatbots_job_last_success_timestamp_seconds", .gauge,
                help: "When each cron job last finished a run successfully (unix time).",
                samples: self.lastRuns.sorted { $0.key < $1.key }.map { Sample(labels: [("job", $0.key)], value: Double($0.value)) }))
        if let database = self.database {
            families.append(
                Family(
                    "chatbots_outbox_messages", .gauge, help: "Replies in the outbox by provider and status (pending, dead).",
                    samples: database.outbox.map {
                        Sample(labels: [("provider", $0.provider), ("status", $0.status)], value: Double($0.count))
                    }))
            families.append(
                Family(
                    "chatbots_delayed_jobs", .gauge,
                    help:
                        "Delayed jobs by state: due (pending, time passed), overdue (due for longer than HEALTH_MAX_JOB_DELAY_SECONDS), dead.",
                    samples: [("due", database.jobsDue), ("overdue", database.jobsOverdue), ("dead", database.jobsDead)].map {
                        Sample(labels: [("state", $0.0)], value: Double($0.1))
                    }))
            families.append(
                Family(
                    "chatbots_orders_created_total", .counter, help: "Shoro orders created (rows of orders).",
                    samples: [Sample(value: Double(database.ordersCreated))]))
            families.append(
                Family(
                    "chatbots_leads_created_total", .counter, help: "Academy leads created, by source.",
                    samples: database.leadsCreated.map { Sample(labels: [("source", $0.source)], value: Double($0.count)) }))
            families.append(
                Family(
                    "chatbots_lessons_booked_total", .counter, help: "Academy trial lessons booked (reschedules included).",
                    samples: [Sample(value: Double(database.lessonsBooked))]))
        }
        families.append(
            Family(
                "chatbots_postgres_up", .gauge, help: "Whether this scrape could read PostgreSQL (1) or not (0).",
                samples: [Sample(value: self.database == nil ? 0 : 1)]))
        return MetricsExposition.render(families)
    }
}
