import Foundation
import Glibc
import Health
import Logging
import Platform
import Postgres
import Redis
import Storage
import TestSupport
import Testing

/// Alerts to the team's Telegram chat: the watcher in the real `cron-outbox` finds dead letters and stalls, the alert
/// goes through the outbox to a fake Telegram of the test's own, once per kind per interval, masked, and retried.
///
/// Each test has a fresh PostgreSQL database and a Redis database of its own (`/12`), so the dead letters and queues
/// other suites make at the same time are not seen here.
@Suite("Alerts: dead letters, stalls, once per kind, through the outbox", .stack, .serialized)
final class AlertsTests {
    static let redisDatabase = 12
    static let chatID: Int64 = -1_001_234_567
    let telegram: PrivateFake

    init() throws {
        self.telegram = try PrivateFake("telegram", ["--token", try TestStack.variable("TELEGRAM_BOT_TOKEN")])
    }

    /// Runs `body` with a migrated fresh database, the private Redis database emptied, and the environment pointing
    /// the processes at both, at this test's fake Telegram and at the team chat.
    private func withStack(
        _ body: (_ environment: [String: String], _ postgres: PostgresConnection, _ redis: RedisConnection) throws -> Void
    ) throws {
        try TestStack.withFreshDatabase { databaseURL in
            let postgres = try PostgresConnection(conninfo: databaseURL)
            try Migrator(directory: try TestStack.root() + "/migrations", logger: Logger(label: "test")).migrate(postgres)
            let redisURL = "redis://127.0.0.1:\(try TestStack.variable("STACK_REDIS_PORT"))/\(Self.redisDatabase)"
            let redis = try RedisConnection(RedisConfiguration(url: redisURL)!)
            try redis.command(["FLUSHDB"])
            let environment = [
                "REDIS_URL": redisURL, "DATABASE_URL": databaseURL, "TELEGRAM_API_URL": self.telegram.url,
                "ALERT_TELEGRAM_CHAT_ID": String(Self.chatID), "ALERT_MIN_INTERVAL_SECONDS": "600",
                "OUTBOX_BACKOFF_SECONDS": "0.5", "OUTBOX_BACKOFF_MAX_SECONDS": "1",
            ]
            try body(environment, postgres, redis)
        }
    }

    /// One short `cron-outbox` run: the watcher looks every half second, the Academy pass sends what it queued.
    private func runOutboxJob(_ environment: [String: String], seconds: Double = 3) throws {
        let result = try TestStack.run(
            try TestStack.executable("cron-outbox"), ["--seconds", String(seconds), "--watch-seconds", "0.5"],
            environment: try TestStack.stackChildEnvironment(environment), timeout: seconds + 30)
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
    }

    /// The alert texts the team chat got, in order.
    private func alerts() throws -> [String] {
        ((try self.telegram.control("GET", "/_fake/messages?chat_id=\(Self.chatID)") as? [[String: Any]]) ?? []).compactMap {
            $0["text"] as? String
        }
    }

    /// A Shoro message dead-lettered the way the drain does it, with the customer's phone in the error.
    private func deadLetter(_ redis: RedisConnection, conversation: String, error: String) throws {
        let queue = InboundQueue.shoro
        try queue.enqueue("{}", conversation: conversation, dedupeID: nil, dedupeSeconds: 60, on: redis)
        guard case .deliveries(let deliveries) = try queue.claim(upTo: 1, leaseSeconds: 30, on: redis), let delivery = deliveries.first
        else {
            throw StackError("nothing to claim")
        }
        #expect(try queue.deadLetter(delivery, error: error, now: Date().timeIntervalSince1970, on: redis))
    }

    @Test func aDeadLetterAlertsOncePerIntervalMaskedAndAnotherKindStillAlerts() throws {
        try self.withStack { environment, postgres, redis in
            try self.deadLetter(redis, conversation: "c1", error: "order for +996555123456 (anna.petrova@mail.kg) failed")
            try self.deadLetter(redis, conversation: "c2", error: "again +996555123456 anna.petrova@mail.kg")
            try self.runOutboxJob(environment)
            let first = try self.alerts()
            #expect(first.count == 1, "two dead letters within the interval: one alert \(first)")
            let text = try #require(first.first)
            #expect(text.contains("dead-letter-inbound") && text.contains("inbound:shoro: 2 dead"), "\(text)")
            #expect(text.contains("+996*****3456") && !text.contains("555123456"), "the phone is masked: \(text)")
            #expect(text.contains("a***@mail.kg") && !text.contains("anna.petrova"), "the email is masked: \(text)")

            // A third one within the interval: still one alert. A dead job is another kind: it alerts.
            try self.deadLetter(redis, conversation: "c3", error: "third failure")
            try postgres.query(
                "INSERT INTO scheduled_jobs (id, kind, run_at, status, attempts, last_error) VALUES ('email1/7', 'email1', now(), 'dead', 8, 'resend said no')"
            )
            try self.runOutboxJob(environment)
            let second = try self.alerts()
            #expect(second.count == 2, "\(second)")
            #expect(second.last?.contains("dead-letter-job") == true && second.last?.contains("email1/7") == true, "\(second)")
            #expect(try postgres.query("SELECT 1 FROM outbox WHERE status <> 'sent'").isEmpty, "every alert row was sent")
        }
    }

    @Test func theStalledDrainWatcherRaisesOneAlert() throws {
        try self.withStack { environment, _, redis in
            // Work waits in a queue and the last cron-drain run was 10 minutes ago (Redis's clock): `/health`'s "drain" cause.
            try InboundQueue.shoro.enqueue("{}", conversation: "waiting", dedupeID: nil, dedupeSeconds: 60, on: redis)
            let now = try #require(redis.command(["TIME"]).array?.first?.integer)
            try redis.command(["HSET", JobRuns.key, "cron-drain", String(now - 600)])
            try self.runOutboxJob(environment)
            let texts = try self.alerts()
            #expect(texts.count == 1, "several watcher passes, one alert: \(texts)")
            #expect(
                texts.first?.contains("[stall]") == true && texts.first?.contains("no cron-drain has run for 60") == true,
                "\(texts)")
            #expect(try redis.command(["TTL", Alerts.limitKey(.stall)]).integer.map { $0 > 500 } == true, "held back for the interval")
        }
    }

    @Test func anAlertTheProviderRefusesIsRetriedByTheOutboxJobAndArrives() throws {
        try self.withStack { environment, postgres, redis in
            try self.telegram.control(
                "POST", "/_fake/faults",
                json: #"[{"route":"^/bot[^/]+/(?i:sendmessage)$","method":"POST","mode":"status","status":502,"times":2}]"#)
            let config = try AppConfig(environment: TestStack.environment.merging(environment) { $1 })
            #expect(
                try Alerts(config.monitoring).raise(kind: .zoomCleanup, text: "Zoom meeting 42 left behind", on: postgres, redis: redis))
            #expect(try !Alerts(config.monitoring).raise(kind: .zoomCleanup, text: "again", on: postgres, redis: redis), "held back")
            try self.runOutboxJob(environment, seconds: 5)
            let texts = try self.alerts()
            #expect(texts.count == 1 && texts.first?.contains("Zoom meeting 42 left behind") == true, "\(texts)")
            let calls = (try self.telegram.control("GET", "/_fake/calls?method=POST") as? [[String: Any]]) ?? []
            #expect(
                calls.filter { ($0["status"] as? Int) == 502 }.count == 2, "the faults were served: \(calls.map { $0["status"] ?? "" })")
            let row = try #require(try postgres.query("SELECT status, attempts FROM outbox WHERE channel = 'telegram'").first)
            #expect(row["status"] == "sent" && row["attempts"] == "2", "sent after two failed rounds")
        }
    }

    @Test func withOnlyShoroEnabledTheAlertGoesByEmailThroughResend() throws {
        try self.withStack { environment, _, redis in
            let address = "team-\(TestStack.randomHex(8))@example.com"
            let shoroOnly = environment.merging(["ACADEMY_ENABLED": "false", "ALERT_TELEGRAM_CHAT_ID": "", "ALERT_EMAIL": address]) { $1 }
            try self.deadLetter(redis, conversation: "c1", error: "order for +996555123456 failed")
            try self.deadLetter(redis, conversation: "c2", error: "again for +996555123456")
            try self.runOutboxJob(shoroOnly)
            let emails =
                (try TestStack.fakeControl(
                    try TestStack.variable("STACK_FAKE_RESEND_URL"), "GET", "/_fake/emails?to=\(address)") as? [[String: Any]]) ?? []
            #expect(emails.count == 1, "\(emails)")
            let text = emails.first?["text"] as? String ?? ""
            #expect((emails.first?["subject"] as? String)?.contains("Dead letter") == true, "\(emails)")
            #expect(text.contains("+996*****3456") && !text.contains("555123456"), "\(text)")
            #expect(try self.alerts().isEmpty, "no Telegram channel configured")
        }
    }

    @Test func alertsToTelegramNeedTheAcademyBot() throws {
        let result = try TestStack.run(
            try TestStack.executable("cron-outbox"), ["--seconds", "0"],
            environment: try TestStack.stackChildEnvironment(["ACADEMY_ENABLED": "false", "ALERT_TELEGRAM_CHAT_ID": "-100123"]))
        #expect(result.status == ExitStatus.configuration.rawValue)
        #expect(result.stderr.contains("ALERT_TELEGRAM_CHAT_ID") && result.stderr.contains("ACADEMY_ENABLED"), "\(result.stderr)")
        let bad = try TestStack.run(
            try TestStack.executable("cron-outbox"), ["--seconds", "0"],
            environment: try TestStack.stackChildEnvironment(["ALERT_TELEGRAM_CHAT_ID": "team", "ALERT_MIN_INTERVAL_SECONDS": "0"]))
        #expect(bad.status == ExitStatus.configuration.rawValue)
        #expect(bad.stderr.contains("ALERT_TELEGRAM_CHAT_ID") && bad.stderr.contains("ALERT_MIN_INTERVAL_SECONDS"), "\(bad.stderr)")
        // Email alerts without the Academy need Resend's settings of their own.
        let noResend = try TestStack.run(
            try TestStack.executable("cron-outbox"), ["--seconds", "0"],
            environment: try TestStack.stackChildEnvironment([
                "ACADEMY_ENABLED": "false", "ALERT_EMAIL": "team@example.com", "RESEND_API_KEY": "", "EMAIL_FROM": "",
            ]))
        #expect(noResend.status == ExitStatus.configuration.rawValue)
        #expect(noResend.stderr.contains("RESEND_API_KEY") && noResend.stderr.contains("EMAIL_FROM"), "\(noResend.stderr)")
    }
}
