import Curl
import Edge
import FastCGI
import Foundation
import Health
import Logging
import Messages
import Platform
import Postgres
import Redis
import Storage
import TestSupport
import Testing

/// `/metrics` and the stall checks of `/health` against real Redis, PostgreSQL, responders and drains.
///
/// The stall tests use a Redis database of their own (`/11`) and a fresh PostgreSQL database, so the shared
/// queues other suites fill at the same time cannot make them pass or fail.
@Suite("Monitoring: /metrics and stalls in /health", .stack, .serialized)
struct MonitoringTests {
    static let redisDatabase = 11

    /// A private Redis database on the stack's server, emptied.
    private static func privateRedisURL() throws -> String {
        let url = "redis://127.0.0.1:\(try TestStack.variable("STACK_REDIS_PORT"))/\(Self.redisDatabase)"
        try RedisConnection(RedisConfiguration(url: url)!).command(["FLUSHDB"])
        return url
    }

    private static func handler(_ environment: [String: String]) throws -> (HealthHandler, AppConfig) {
        let config = try AppConfig(environment: TestStack.environment.merging(environment) { $1 })
        return (
            HealthHandler(
                config: config, redis: LazyRedis(config.infrastructure.redis),
                postgres: LazyPostgres(conninfo: config.infrastructure.databaseURL)), config
        )
    }

    private static func get(_ handler: HealthHandler, _ path: String) throws -> (status: Int, text: String, json: [String: Any]?) {
        let response = handler.handle(FastCGIRequest(method: "GET", path: path))
        return (response.status, response.text, TestStack.jsonObject(response.body))
    }

    /// The value of one sample line (`name{labels} value`) of an exposition.
    private static func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// Queues one Shoro message through the real webhook handler (as fcgi-chat2desk would).
    private static func queueMessage(_ config: AppConfig, client: Int64, text: String) {
        let shoro = config.shoro!
        let handler = Chat2DeskWebhookHandler(
            secret: shoro.webhookSecret, dedupeSeconds: 60, redis: LazyRedis(config.infrastructure.redis), logger: Logger(label: "test"))
        let body =
            "{\"hook_type\":\"inbox\",\"type\":\"from_client\",\"message_id\":\(TestStack.randomID()),\"client_id\":\(client),"
            + "\"text\":\(JSONText.quote(text)),\"transport\":\"whatsapp\"}"
        let response = handler.handle(
            FastCGIRequest(
                method: "POST", path: "/webhook/chat2desk/" + shoro.webhookSecret, contentType: "application/json", body: Array(body.utf8)))
        #expect(response.status == 200 && response.text.contains("\"queued\":true"), "\(response.text)")
    }

    private static func runDrain(_ environment: [String: String], seconds: Double) throws -> ProcessResult {
        try TestStack.run(
            try TestStack.executable("cron-drain"), ["--bot", "shoro", "--seconds", String(seconds), "--concurrency", "2"],
            environment: try TestStack.stackChildEnvironment(environment.merging(["SEND_RETRY_DELAYS": "0.1"]) { $1 }),
            timeout: seconds + 30)
    }

    /// The issue's "done when": the drain stops with work queued, `/health` turns degraded within the configured
    /// age and `/metrics` shows the oldest-message age growing; a drain run makes it healthy again.
    @Test func aStoppedDrainTurnsHealthDegradedWithinTheAgeAndARunHealsIt() throws {
        try TestStack.withFreshDatabase { databaseURL in
            try Migrator(directory: try TestStack.root() + "/migrations", logger: Logger(label: "test"))
                .migrate(PostgresConnection(conninfo: databaseURL))
            let environment = [
                "REDIS_URL": try Self.privateRedisURL(), "DATABASE_URL": databaseURL, "HEALTH_MAX_QUEUE_AGE_SECONDS": "3",
                "HEALTH_MAX_DRAIN_IDLE_SECONDS": "600",
            ]
            let (handler, config) = try Self.handler(environment)
            // A drain that ran (nothing to do) records its last successful run.
            let first = try Self.runDrain(environment, seconds: 0.5)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(try Self.get(handler, "/health").status == 200)
            let lastRun = Self.sample(
                try Self.get(handler, "/metrics").text, #"chatbots_job_last_success_timestamp_seconds{job="cron-drain"}"#)
            #expect(try #require(lastRun) > Date().timeIntervalSince1970 - 60)

            // No drain runs now; two customers write.
            let queuedAt = Date()
            Self.queueMessage(config, client: TestStack.randomID(), text: "привет")
            Self.queueMessage(config, client: TestStack.randomID(), text: "привет")
            let young = try Self.get(handler, "/health")
            #expect(young.status == 200, "\(young.text)")
            let ageSeries = #"chatbots_queue_oldest_age_seconds{queue="shoro"}"#
            let firstAge = try #require(Self.sample(try Self.get(handler, "/metrics").text, ageSeries))
            var degraded: (status: Int, text: String, json: [String: Any]?) = (0, "", nil)
            #expect(
                try eventually(timeout: 8) {
                    degraded = try Self.get(handler, "/health")
                    return degraded.status == 503
                })
            // Degraded within the configured age (3 s), plus the time one /health takes.
            #expect(Date().timeIntervalSince(queuedAt) < 3 + 2, "\(degraded.text)")
            #expect(degraded.json?["status"] as? String == "degraded")
            let causes = degraded.json?["degraded"] as? [String] ?? []
            #expect(causes.contains { $0.hasPrefix("queue shoro: a message has waited") }, "\(degraded.text)")
            let laterAge = try #require(Self.sample(try Self.get(handler, "/metrics").text, ageSeries))
            #expect(laterAge > firstAge && laterAge >= 3, "\(firstAge) → \(laterAge)")
            #expect(Self.sample(try Self.get(handler, "/metrics").text, #"chatbots_queue_depth{queue="shoro"}"#) == 2)

            // The drain runs again: both answered, healthy.
            let second = try Self.runDrain(environment, seconds: 3)
            #expect(second.status == 0, "\(second.stderr)")
            let healed = try Self.get(handler, "/health")
            #expect(healed.status == 200, "\(healed.text)")
            let metrics = try Self.get(handler, "/metrics").text
            #expect(Self.sample(metrics, ageSeries) == 0)
            #expect(Self.sample(metrics, #"chatbots_queue_depth{queue="shoro"}"#) == 0)
            // What the drain process counted reached the shared counters (flushed as it finished): two steps, their
            // replies, and the latency from each webhook's acceptance to Chat2Desk's acceptance of the reply.
            #expect(Self.sample(metrics, #"chatbots_dialog_steps_total{bot="shoro",result="done"}"#) == 2, "\(metrics)")
            let sent = try #require(Self.sample(metrics, #"chatbots_replies_total{provider="chat2desk",outcome="sent"}"#), "\(metrics)")
            #expect(sent >= 2)
            #expect(Self.sample(metrics, #"chatbots_reply_latency_seconds_count{provider="chat2desk"}"#) == sent)
            let latencySum = try #require(Self.sample(metrics, #"chatbots_reply_latency_seconds_sum{provider="chat2desk"}"#))
            #expect(latencySum >= sent * 3, "the replies waited for the stopped drain: \(latencySum) s for \(sent)")
        }
    }

    @Test func workWaitingWithoutADrainRunAndOverdueJobsAreNamedCauses() throws {
        try TestStack.withFreshDatabase { databaseURL in
            let database = try PostgresConnection(conninfo: databaseURL)
            try Migrator(directory: try TestStack.root() + "/migrations", logger: Logger(label: "test")).migrate(database)
            let environment = [
                "REDIS_URL": try Self.privateRedisURL(), "DATABASE_URL": databaseURL, "HEALTH_MAX_QUEUE_AGE_SECONDS": "600",
                "HEALTH_MAX_DRAIN_IDLE_SECONDS": "600", "HEALTH_MAX_JOB_DELAY_SECONDS": "60",
            ]
            let (handler, config) = try Self.handler(environment)
            #expect(try Self.get(handler, "/health").status == 200)

            // A fresh install: work has just arrived and no drain has run yet; within the limit that is no stall.
            let client = TestStack.randomID()
            Self.queueMessage(config, client: client, text: "привет")
            #expect(try Self.get(handler, "/health").status == 200)
            // The same message waiting 700 s (its wait moved back on Redis's clock) with still no drain ever: a stall.
            let redis = try RedisConnection(config.infrastructure.redis)
            let now = try #require(redis.command(["TIME"]).array?.first?.integer)
            try redis.command(["ZADD", "q:{shoro}:since", String((now - 700) * 1000), String(client)])
            let waiting = try Self.get(handler, "/health")
            #expect(waiting.status == 503)
            #expect(
                (waiting.json?["degraded"] as? [String] ?? []).contains {
                    $0.contains("no cron-drain has run for 70") && $0.contains("never")
                },
                "\(waiting.text)")
            // A run recorded 10 minutes ago (Redis's clock) is as bad as none.
            try redis.command(["HSET", JobRuns.key, "cron-drain", String(now - 700)])
            let stale = try Self.get(handler, "/health")
            #expect(
                (stale.json?["degraded"] as? [String] ?? []).contains {
                    $0.contains("no cron-drain has run for 70") && !$0.contains("never")
                },
                "\(stale.text)")
            try redis.command(["HSET", JobRuns.key, "cron-drain", String(now)])
            try redis.command(["FLUSHDB"])
            #expect(try Self.get(handler, "/health").status == 200)

            // A job due two minutes ago is overdue (limit 60 s); one due 10 s ago is only due.
            try database.query(
                "INSERT INTO scheduled_jobs (id, kind, run_at) VALUES ('t/late', 'test', now() - interval '2 minutes'), ('t/due', 'test', now() - interval '10 seconds')"
            )
            let late = try Self.get(handler, "/health")
            #expect(late.status == 503)
            #expect((late.json?["degraded"] as? [String] ?? []) == ["jobs: 1 delayed job(s) overdue by more than 60 s"], "\(late.text)")
            let metrics = try Self.get(handler, "/metrics").text
            #expect(Self.sample(metrics, #"chatbots_delayed_jobs{state="due"}"#) == 2)
            #expect(Self.sample(metrics, #"chatbots_delayed_jobs{state="overdue"}"#) == 1)
            try database.query("UPDATE scheduled_jobs SET status = 'dead' WHERE id = 't/late'")
            #expect(try Self.get(handler, "/health").status == 200)
            #expect(Self.sample(try Self.get(handler, "/metrics").text, #"chatbots_delayed_jobs{state="dead"}"#) == 1)
        }
    }

    /// The live `/metrics` through nginx, after real webhooks, passes `promtool check metrics` and counts them.
    @Test func liveMetricsPassPromtoolAndCountWebhooks() throws {
        let secret = try TestStack.webhookSecret()
        let client = TestStack.randomID()
        let body = Array(
            ("{\"hook_type\":\"inbox\",\"type\":\"from_client\",\"message_id\":\(TestStack.randomID()),"
                + "\"client_id\":\(client),\"text\":\"hi\",\"transport\":\"whatsapp\"}").utf8)
        let json = [(name: "Content-Type", value: "application/json")]
        func count(_ text: String, _ outcome: String) -> Double {
            Self.sample(text, "chatbots_webhooks_total{route=\"chat2desk\",outcome=\"\(outcome)\"}") ?? 0
        }
        let before = try TestStack.nginx("GET", "/metrics").text
        #expect(try TestStack.nginx("POST", "/webhook/chat2desk/" + secret, headers: json, body: body).status == 200)
        #expect(try TestStack.nginx("POST", "/webhook/chat2desk/" + secret, headers: json, body: body).status == 200)
        #expect(try TestStack.nginx("POST", "/webhook/chat2desk/wrong-secret", headers: json, body: body).status == 403)
        // Queued and duplicate are counted by the enqueue script at once; the 403 within the responder's next flush
        // (at most a second later, and at once for a process's first count).
        var after = ""
        #expect(
            try eventually(timeout: 5) {
                after = try TestStack.nginx("GET", "/metrics").text
                return count(after, "queued") >= count(before, "queued") + 1 && count(after, "duplicate") >= count(before, "duplicate") + 1
                    && count(after, "403") >= count(before, "403") + 1
            }, "\(after)")
        #expect(after.contains(#"chatbots_webhook_duration_seconds_bucket{route="chat2desk",le="+Inf"}"#))
        #expect(after.contains("# TYPE chatbots_queue_oldest_age_seconds gauge"))

        let response = try TestStack.nginx("GET", "/metrics")
        #expect(response.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true, "\(response.headers)")
        let file = try TestStack.temporaryDirectory("metrics") + "/metrics.txt"
        try Data(response.body).write(to: URL(fileURLWithPath: file))
        let promtool = try TestStack.run("/bin/sh", ["-c", "promtool check metrics < \(file)"], environment: TestStack.childEnvironment())
        #expect(promtool.status == 0, "promtool: \(promtool.stdout) \(promtool.stderr)\n\(response.text)")
        #expect(promtool.stdout.isEmpty && promtool.stderr.isEmpty, "promtool lint: \(promtool.stdout) \(promtool.stderr)")
    }

    /// Counters of several processes add up in Redis; a failed flush keeps its increments for the next one.
    @Test func countersOfSeveralProcessesAddUpAndSurviveARedisOutage() throws {
        let label = TestStack.randomHex(8)
        let series = MetricField.key(MetricCatalog.dialogSteps.name, part: "", labels: [("bot", label), ("result", "done")])
        let first = Metrics(flushIntervalSeconds: 0)
        let second = Metrics(flushIntervalSeconds: 0)
        first.configure(redis: try TestStack.redisConfiguration(), enabled: true)
        second.configure(redis: try TestStack.redisConfiguration(), enabled: true)
        first.add(MetricCatalog.dialogSteps, [("bot", label), ("result", "done")], 2)
        second.add(MetricCatalog.dialogSteps, [("bot", label), ("result", "done")])
        let redis = try TestStack.redis()
        #expect(try redis.command(["HGET", Metrics.countersKey, series]).string == "3")

        // Nowhere to write: the increment waits in memory, and goes out with the next flush that works.
        let unreachable = Metrics(flushIntervalSeconds: 0)
        unreachable.configure(redis: RedisConfiguration(url: "redis://127.0.0.1:1/0")!, enabled: true)
        unreachable.add(MetricCatalog.dialogSteps, [("bot", label), ("result", "done")], 4)
        unreachable.configure(redis: try TestStack.redisConfiguration(), enabled: true)
        unreachable.flush()
        #expect(try redis.command(["HGET", Metrics.countersKey, series]).string == "7")

        // Off: nothing is counted.
        let off = Metrics(flushIntervalSeconds: 0)
        off.configure(redis: try TestStack.redisConfiguration(), enabled: false)
        off.add(MetricCatalog.dialogSteps, [("bot", label), ("result", "done")], 100)
        off.flush()
        #expect(try redis.command(["HGET", Metrics.countersKey, series]).string == "7")
        try redis.command(["HDEL", Metrics.countersKey, series])

        // A histogram is written as cumulative buckets, whichever flush its observations went out with.
        let histogram = MetricCatalog.replyLatency.series([("provider", label)])
        first.observe(histogram, 0.7)
        first.observe(histogram, 1.5)
        first.flush()
        func stored(_ part: String) throws -> String? {
            try redis.command([
                "HGET", Metrics.countersKey, MetricField.key(MetricCatalog.replyLatency.name, part: part, labels: [("provider", label)]),
            ]).string
        }
        #expect(try stored("le=0.5") == nil)
        #expect(try stored("le=1") == "1")
        #expect(try stored("le=2") == "2")
        #expect(try stored("le=1800") == "2")
        #expect(try stored("count") == "2")
        #expect(try stored("sum").flatMap(Double.init).map { abs($0 - 2.2) < 1e-9 } == true)
        let fields = MetricCatalog.replyLatency.bounds.map {
            MetricField.key(MetricCatalog.replyLatency.name, part: MetricField.bucketPart($0), labels: [("provider", label)])
        }
        try redis.command(
            ["HDEL", Metrics.countersKey] + fields
                + ["sum", "count"].map {
                    MetricField.key(MetricCatalog.replyLatency.name, part: $0, labels: [("provider", label)])
                })
    }

    /// The queue's own bookkeeping: the enqueue script counts per route, the oldest age follows the heads.
    @Test func theQueueCountsWhatItQueuesAndKnowsHowLongItsHeadsWait() throws {
        let queue = InboundQueue(name: "it-monitor-" + TestStack.randomHex(8))
        let redis = try TestStack.redis()
        defer {
            let keys = (try? redis.command(["KEYS", "q:{\(queue.name)}:*"]).array?.compactMap(\.string)) ?? []
            if !keys.isEmpty { _ = try? redis.command(["DEL"] + keys) }
        }
        #expect(try queue.enqueue("one", conversation: "a", dedupeID: "m1", dedupeSeconds: 60, metricsRoute: "tg", on: redis))
        #expect(try !queue.enqueue("one", conversation: "a", dedupeID: "m1", dedupeSeconds: 60, metricsRoute: "tg", on: redis))
        #expect(try queue.enqueue("two", conversation: "a", dedupeID: "m2", dedupeSeconds: 60, metricsRoute: "tg", on: redis))
        #expect(try queue.enqueue("uncounted", conversation: "b", dedupeID: "m3", dedupeSeconds: 60, on: redis))
        Thread.sleep(forTimeInterval: 0.3)
        var snapshot = try queue.snapshot(on: redis)
        #expect(snapshot.webhooks == ["tg": ["queued": 2, "duplicate": 1]])
        #expect(snapshot.depth == 3)
        #expect(snapshot.oldestAgeSeconds >= 0.3 && snapshot.oldestAgeSeconds < 5)

        // Conversation a's head is done: its next message waits from now; b's head is the oldest left.
        guard case .deliveries(let claimed) = try queue.claim(upTo: 2, leaseSeconds: 30, on: redis) else {
            Issue.record("nothing claimed")
            return
        }
        let a = try #require(claimed.first { $0.conversation == "a" })
        let b = try #require(claimed.first { $0.conversation == "b" })
        try queue.acknowledge([a], on: redis)
        snapshot = try queue.snapshot(on: redis)
        #expect(snapshot.oldestAgeSeconds >= 0.3, "b still waits")
        try queue.deadLetter(b, error: "test", now: 0, on: redis)
        snapshot = try queue.snapshot(on: redis)
        #expect(snapshot.oldestAgeSeconds < 0.3 && snapshot.deadLetters == 1 && snapshot.depth == 1)
        guard case .deliveries(let next) = try queue.claim(upTo: 2, leaseSeconds: 30, on: redis) else {
            Issue.record("nothing claimed")
            return
        }
        try queue.acknowledge(next, on: redis)
        snapshot = try queue.snapshot(on: redis)
        #expect(snapshot.oldestAgeSeconds == 0 && snapshot.depth == 0)
        // A replayed dead letter waits again, from the replay.
        #expect(try queue.replayDeadLetters(on: redis) == 1)
        snapshot = try queue.snapshot(on: redis)
        #expect(snapshot.depth == 1 && snapshot.deadLetters == 0 && snapshot.oldestAgeSeconds < 1)
    }
}
