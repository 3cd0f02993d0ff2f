import Edge
import Foundation
import Logging
import Platform
import Postgres
import Redis
import Storage
import TestSupport
import Testing

/// Retention end to end, by running the executables: rows and dead letters older than the retention are reported
/// by `botctl prune --dry-run` (which changes nothing), removed by `cron-prune` in batches, and young ones stay.
/// A fresh database and Redis db 10 (OperatorToolsTests has 9, MonitoringTests 11, AlertsTests 12), so no other
/// suite's rows or dead letters are counted or touched.
@Suite("Retention: botctl prune --dry-run and cron-prune", .stack)
struct RetentionTests {
    static let redisDatabase = "10"

    @Test func dryRunReportsOldRowsAndPruneDeletesOnlyThem() throws {
        try TestStack.withFreshDatabase { conninfo in
            let db = try PostgresConnection(conninfo: conninfo)
            try Migrator(directory: try TestStack.root() + "/migrations", logger: Logger(label: "test")).migrate(db)
            let redis = try TestStack.redis()
            try redis.command(["SELECT", Self.redisDatabase])
            let deadKeys = ["q:{shoro}:dead", "q:{academy}:dead"]
            try redis.command(["DEL"] + deadKeys)
            defer { _ = try? redis.command(["DEL"] + deadKeys) }
            try Self.seed(db, redis)
            let environment = try TestStack.stackChildEnvironment([
                "DATABASE_URL": conninfo,
                "REDIS_URL": "redis://127.0.0.1:\(try TestStack.variable("STACK_REDIS_PORT"))/\(Self.redisDatabase)",
                "RETENTION_BATCH_SIZE": "2",  // 5 expired sent replies: three batches
            ])
            let expected = [
                "message_logs.text: 1 (older than 90 days)", "outbox.sent: 5 (older than 30 days)",
                "outbox.dead: 1 (older than 90 days)", "scheduled_jobs.finished: 2 (older than 30 days)",
                "scheduled_jobs.dead: 1 (older than 90 days)", "lead_events: 1 (older than 365 days)",
                "dead_letters.shoro: 2 (older than 90 days)", "dead_letters.academy: 1 (older than 90 days)",
            ]
            let before = try Self.snapshot(db, redis)

            let dryRun = try TestStack.run(try TestStack.executable("botctl"), ["prune", "--dry-run"], environment: environment)
            #expect(dryRun.status == 0, "\(dryRun.stderr)")
            #expect(Self.reportLines(dryRun.stdout) == expected)
            #expect(try Self.snapshot(db, redis) == before, "a dry run changed something")

            let prune = try TestStack.run(try TestStack.executable("cron-prune"), [], environment: environment, timeout: 30)
            #expect(prune.status == 0, "\(prune.stderr)")
            #expect(prune.stderr.contains("\"pruned.outbox.sent\":\"5\""), "\(prune.stderr)")
            let after = try Self.snapshot(db, redis)
            #expect(after["message_logs"] == ["old:", "young:ул. Киевская 95"])  // the row stays, its text goes
            #expect(after["outbox"] == ["dead-young:dead", "pending-old:pending", "sent-young:sent"])
            #expect(after["scheduled_jobs"] == ["done-young:done", "pending-old:pending"])
            #expect(after["lead_events"] == ["young"])
            #expect(after["dead_letters"] == ["academy:0", "shoro:1"])

            let again = try TestStack.run(try TestStack.executable("botctl"), ["prune", "--dry-run"], environment: environment)
            #expect(Self.reportLines(again.stdout).allSatisfy { $0.contains(": 0 ") }, "\(again.stdout)")
        }
    }

    /// The cap keeps the newest letters whatever their age, and the age check stops at the first young (or
    /// unreadable) letter, so nothing newer than an old one is ever lost to the age rule.
    @Test func deadLettersAreCappedNewestFirstAndAgedFromTheHead() throws {
        let redis = try TestStack.redis()
        let queue = InboundQueue(name: "it-prune-" + TestStack.randomHex(8))
        let key = "q:{\(queue.name)}:dead"
        defer { _ = try? redis.command(["DEL", key]) }
        let now = Date().timeIntervalSince1970
        let ages = [200.0, 150, 100, 1, 120, 0.5]  // days; a young letter sits between old ones
        for (index, age) in ages.enumerated() {
            try redis.command([
                "RPUSH", key, #"{"conversation":"c\#(index)","payload":"{}","error":"e","attempts":3,"failedAt":\#(now - age * 86400)}"#,
            ])
        }
        let day = 86400.0
        #expect(try queue.pruneDeadLetters(olderThanSeconds: 90 * day, keep: 100, dryRun: true, on: redis) == 3)
        // The cap's 4 oldest, and the 120-day-old letter right behind them (the age rule continues from there).
        #expect(try queue.pruneDeadLetters(olderThanSeconds: 90 * day, keep: 2, dryRun: true, on: redis) == 5)
        #expect(try redis.command(["LLEN", key]).integer == 6, "a dry run removed letters")
        #expect(try queue.pruneDeadLetters(olderThanSeconds: 90 * day, keep: 100, dryRun: false, on: redis) == 3)
        #expect(try queue.deadLetters(on: redis).map(\.conversation) == ["c3", "c4", "c5"])
        #expect(try queue.pruneDeadLetters(olderThanSeconds: 90 * day, keep: 1, dryRun: false, on: redis) == 2)
        #expect(try queue.deadLetters(on: redis).map(\.conversation) == ["c5"])
        // An unreadable letter at the head is never aged out (only the cap removes it).
        try redis.command(["LPUSH", key, "not json"])
        #expect(try queue.pruneDeadLetters(olderThanSeconds: 0, keep: 100, dryRun: false, on: redis) == 0)
        #expect(try queue.pruneDeadLetters(olderThanSeconds: 90 * day, keep: 1, dryRun: false, on: redis) == 1)
        #expect(try queue.deadLetters(on: redis).map(\.conversation) == ["c5"])
    }

    /// The lines of a `botctl prune` report, without its heading.
    static func reportLines(_ stdout: String) -> [String] {
        stdout.split(separator: "\n").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func seed(_ db: PostgresConnection, _ redis: RedisConnection) throws {
        try db.execute(
            script: """
                INSERT INTO message_logs (client_id, message_id, text, success, "timestamp") VALUES
                  ('c1', 'old', 'ул. Ленина 1, 0555123456', true, now() - interval '100 days'),
                  ('c1', 'young', 'ул. Киевская 95', true, now() - interval '10 days');
                INSERT INTO outbox (channel, conversation, source_key, payload, status, sent_at, created_at)
                  SELECT 'chat2desk', 'c1', 'sent-old-' || n, '{}', 'sent', now() - interval '40 days', now() - interval '40 days'
                  FROM generate_series(1, 5) AS n;
                INSERT INTO outbox (channel, conversation, source_key, payload, status, sent_at, created_at) VALUES
                  ('chat2desk', 'c1', 'sent-young', '{}', 'sent', now() - interval '1 day', now() - interval '1 day'),
                  ('chat2desk', 'c1', 'pending-old', '{}', 'pending', NULL, now() - interval '100 days'),
                  ('chat2desk', 'c1', 'dead-old', '{}', 'dead', NULL, now() - interval '100 days'),
                  ('chat2desk', 'c1', 'dead-young', '{}', 'dead', NULL, now() - interval '5 days');
                INSERT INTO scheduled_jobs (id, kind, run_at, status, finished_at) VALUES
                  ('done-old', 'email1', now() - interval '41 days', 'done', now() - interval '40 days'),
                  ('cancelled-old', 'email2', now() - interval '41 days', 'cancelled', now() - interval '40 days'),
                  ('dead-old', 'email2', now() - interval '101 days', 'dead', now() - interval '100 days'),
                  ('done-young', 'email1', now() - interval '2 days', 'done', now() - interval '1 day'),
                  ('pending-old', 'reminder', now() - interval '100 days', 'pending', NULL);
                INSERT INTO leads (id, source) VALUES (1, 'tilda');
                INSERT INTO lead_events (lead_id, event, detail, created_at) VALUES
                  (1, 'TILDA_SUBMITTED', '{"n":"old"}', now() - interval '400 days'),
                  (1, 'EMAIL_1_SENT', '{"n":"young"}', now() - interval '30 days');
                """)
        let now = Date().timeIntervalSince1970
        for (queue, age) in [("shoro", 100.0), ("shoro", 95.0), ("shoro", 1.0), ("academy", 91.0)] {
            let letter = #"{"conversation":"c","payload":"{}","error":"test","attempts":3,"failedAt":\#(now - age * 86400)}"#
            try redis.command(["RPUSH", "q:{\(queue)}:dead", letter])
        }
    }

    /// What is left, per table, as sorted `key:value` strings.
    static func snapshot(_ db: PostgresConnection, _ redis: RedisConnection) throws -> [String: [String]] {
        func strings(_ sql: String) throws -> [String] { try db.query(sql).map { try $0.decode("v") }.sorted() }
        return [
            "message_logs": try strings("SELECT message_id || ':' || text AS v FROM message_logs"),
            "outbox": try strings("SELECT source_key || ':' || status AS v FROM outbox"),
            "scheduled_jobs": try strings("SELECT id || ':' || status AS v FROM scheduled_jobs"),
            "lead_events": try strings("SELECT detail->>'n' AS v FROM lead_events"),
            "dead_letters": try ["academy", "shoro"].map { "\($0):\(try redis.command(["LLEN", "q:{\($0)}:dead"]).integer ?? -1)" },
        ]
    }
}
