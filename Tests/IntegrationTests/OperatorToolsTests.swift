import Foundation
import Platform
import Postgres
import Redis
import TestSupport
import Testing

/// `botctl status`, `stats` and `dlq` run as processes against a database and a Redis database of their own, seeded
/// with known rows, so every figure they print is checked against what was seeded (and therefore the database).
@Suite("Operator tools (botctl status, stats, dlq)", .stack, .serialized)
struct OperatorToolsTests {
    /// A Redis database no other suite uses, emptied before each test.
    static let redisDatabase = 9

    struct Fixture {
        let databaseURL: String
        let redisURL: String
        let postgres: PostgresConnection
        let redis: RedisConnection
        let now: Double

        func botctl(_ arguments: [String], timeout: Double = 20) throws -> ProcessResult {
            try TestStack.run(
                try TestStack.executable("botctl"), arguments,
                environment: try TestStack.stackChildEnvironment(["DATABASE_URL": self.databaseURL, "REDIS_URL": self.redisURL]),
                timeout: timeout)
        }

        func json(_ arguments: [String]) throws -> [String: Any] {
            let result = try self.botctl(arguments)
            #expect(result.status == 0, "botctl \(arguments): \(result.stderr)")
            return try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
        }

        /// `to_timestamp` of `secondsAgo` before the fixture's now, for seeding.
        func at(_ secondsAgo: Double) -> String { String(self.now - secondsAgo) }
    }

    static func withFixture(_ body: (Fixture) throws -> Void) throws {
        try TestStack.withFreshDatabase { url in
            let redisURL = "redis://127.0.0.1:\(try TestStack.variable("STACK_REDIS_PORT"))/\(redisDatabase)"
            let redis = try RedisConnection(RedisConfiguration(url: redisURL)!)
            _ = try redis.command(["FLUSHDB"])
            let fixture = Fixture(
                databaseURL: url, redisURL: redisURL, postgres: try PostgresConnection(conninfo: url), redis: redis,
                now: Date().timeIntervalSince1970)
            let migrate = try fixture.botctl(["migrate", "--dir", try TestStack.root() + "/migrations"])
            try #require(migrate.status == 0, "\(migrate.stderr)")
            try body(fixture)
        }
    }

    // MARK: status

    @Test func statusShowsQueuesRatesOutboxJobsAndLastRunsAsSeeded() throws {
        try Self.withFixture { f in
            let shoro = InboundQueue.shoro
            try shoro.enqueue("m1", conversation: "c1", dedupeID: nil, dedupeSeconds: 0, on: f.redis)
            try shoro.enqueue("m2", conversation: "c1", dedupeID: nil, dedupeSeconds: 0, on: f.redis)
            try shoro.enqueue("m3", conversation: "c2", dedupeID: nil, dedupeSeconds: 0, on: f.redis)
            // c1 has waited 90 s for a drainer (its due time is 90 s ago on Redis's clock).
            let redisNow = try Self.redisMilliseconds(f.redis)
            _ = try f.redis.command(["ZADD", "q:{shoro}:sched", String(redisNow - 90_000), "c1"])
            // One dead letter on the Academy queue.
            try DeadLetterSeed.deadLetter(payload: "{\"x\":1}", conversation: "tg:5", on: f.redis)
            for (source, success, ago) in [
                ("chat2desk", true, 60.0), ("chat2desk", true, 200), ("chat2desk", true, 400),
                ("chat2desk", true, 1800), ("chat2desk", false, 1000), ("telegram", true, 3000),
                ("chat2desk", true, 4000),
            ] {
                try f.postgres.query(
                    "INSERT INTO message_logs (source, client_id, message_id, success, \"timestamp\") VALUES ($1, 'c', gen_random_uuid()::text, $2, to_timestamp($3::float8))",
                    [source, success ? "true" : "false", f.at(ago)])
            }
            try f.postgres.query(
                """
                INSERT INTO outbox (channel, conversation, source_key, payload, status, next_attempt_at, created_at, sent_at) VALUES
                ('chat2desk', 'c1', 'k1', '{}', 'pending', to_timestamp($1::float8), to_timestamp($2::float8), NULL),
                ('chat2desk', 'c1', 'k2', '{}', 'pending', to_timestamp($3::float8), to_timestamp($3::float8), NULL),
                ('chat2desk', 'c2', 'k3', '{}', 'dead', to_timestamp($3::float8), to_timestamp($3::float8), NULL),
                ('chat2desk', 'c2', 'k4', '{}', 'sent', to_timestamp($3::float8), to_timestamp($3::float8), to_timestamp($3::float8)),
                ('chat2desk', 'c2', 'k5', '{}', 'sent', to_timestamp($4::float8), to_timestamp($4::float8), to_timestamp($4::float8)),
                ('telegram', 't1', 'k6', '{}', 'sent', to_timestamp($3::float8), to_timestamp($3::float8), to_timestamp($3::float8))
                """, [f.at(300), f.at(600), f.at(10), f.at(1200)])
            try f.postgres.query(
                """
                INSERT INTO scheduled_jobs (id, kind, run_at, status) VALUES
                ('future/1', 'email1', to_timestamp($1::float8), 'pending'), ('due/1', 'email1', to_timestamp($2::float8), 'pending'),
                ('late/1', 'email2', to_timestamp($3::float8), 'pending'), ('dead/1', 'call_alert', to_timestamp($3::float8), 'dead'),
                ('done/1', 'email1', to_timestamp($3::float8), 'done')
                """, [f.at(-3600), f.at(10), f.at(600)])
            _ = try f.redis.command(["HSET", "jobs:last_run", "cron-drain", String(Int(f.now) - 30)])

            let status = try f.json(["status", "--json"])
            let queues = try #require(status["queues"] as? [[String: Any]])
            let shoroQueue = try #require(queues.first { $0["queue"] as? String == "shoro" })
            #expect(shoroQueue["depth"] as? Int == 3)
            #expect(shoroQueue["conversations"] as? Int == 2)
            #expect(shoroQueue["deadLetters"] as? Int == 0)
            let wait = try #require(shoroQueue["oldestWaitSeconds"] as? Double)
            #expect(wait >= 89 && wait < 120, "oldest wait \(wait)")
            let academyQueue = try #require(queues.first { $0["queue"] as? String == "academy" })
            #expect(academyQueue["deadLetters"] as? Int == 1)
            #expect(academyQueue["depth"] as? Int == 0)

            let rates = try #require(status["rates"] as? [[String: Any]])
            let shoroRates = try #require(rates.first { $0["bot"] as? String == "shoro" })
            #expect(shoroRates["handledLast5Minutes"] as? Int == 2)
            #expect(shoroRates["handledLastHour"] as? Int == 4)
            #expect(shoroRates["failedLastHour"] as? Int == 1)
            #expect(shoroRates["repliesSentLast5Minutes"] as? Int == 1)
            #expect(shoroRates["repliesSentLastHour"] as? Int == 2)
            let academyRates = try #require(rates.first { $0["bot"] as? String == "academy" })
            #expect(academyRates["handledLastHour"] as? Int == 1)
            #expect(academyRates["repliesSentLast5Minutes"] as? Int == 1)

            let outbox = try #require(status["outbox"] as? [[String: Any]])
            #expect(outbox.count == 1, "only chat2desk has pending or dead rows: \(outbox)")
            #expect(outbox.first?["pending"] as? Int == 2)
            #expect(outbox.first?["overdue"] as? Int == 1)
            #expect(outbox.first?["dead"] as? Int == 1)
            let oldest = try #require(outbox.first?["oldestPendingSeconds"] as? Double)
            #expect(oldest >= 595 && oldest < 640, "oldest pending \(oldest)")

            let jobs = try #require(status["jobs"] as? [String: Any])
            #expect(jobs["pending"] as? Int == 3)
            #expect(jobs["due"] as? Int == 2)
            #expect(jobs["overdue"] as? Int == 1)
            #expect(jobs["dead"] as? Int == 1)

            let runs = try #require(status["lastRuns"] as? [[String: Any]])
            let drain = try #require(runs.first { $0["job"] as? String == "cron-drain" })
            #expect(drain["at"] as? Double == Double(Int(f.now) - 30))
            #expect(runs.first { $0["job"] as? String == "cron-outbox" }?["at"] == nil)

            // The screen shows the same, and "never" for a job that never reported.
            let screen = try f.botctl(["status"])
            #expect(screen.status == 0, "\(screen.stderr)")
            #expect(screen.stdout.contains("cron-outbox never"), "\(screen.stdout)")
            #expect(screen.stdout.contains("delayed jobs: 3 pending, 2 due, 1 overdue, 1 dead"), "\(screen.stdout)")
            #expect(screen.stdout.range(of: #"shoro\s+3\s+2\s+1m 3\ds\s+0"#, options: .regularExpression) != nil, "\(screen.stdout)")
        }
    }

    // MARK: stats

    @Test func statsShowsBothFunnelsAsSeeded() throws {
        try Self.withFixture { f in
            try Self.seedShoroFunnel(f)
            try Self.seedAcademyFunnel(f)
            let stats = try f.json(["stats", "--since", "7d", "--json"])
            let shoro = try #require(stats["shoro"] as? [String: Any])
            let steps = try #require(shoro["steps"] as? [[String: Any]])
            #expect(steps.map { $0["step"] as? String } == ["started", "address", "phone", "bottles", "confirmation", "ordered"])
            #expect(steps.map { $0["conversations"] as? Int } == [4, 3, 3, 2, 2, 2])
            #expect(steps.map { $0["dropOff"] as? Int } == [0, 1, 0, 1, 0, 0])
            #expect(shoro["conversion"] as? Double == 0.5)
            #expect(shoro["medianSecondsToOrder"] as? Double == 900)
            let days = try #require(shoro["days"] as? [[String: Any]])
            #expect(days.reduce(0) { $0 + ($1["started"] as? Int ?? 0) } == 4)
            #expect(days.reduce(0) { $0 + ($1["ordered"] as? Int ?? 0) } == 2)
            #expect(shoro["outcomes"] as? [String: Int] == ["completed": 2, "cancelled": 1, "expired": 1])
            #expect(shoro["dropOffStates"] as? [String: Int] == ["waitingPhone": 1, "initial": 1])

            let academy = try #require(stats["academy"] as? [String: Any])
            #expect(academy["leads"] as? Int == 3)
            #expect(academy["leadsBySource"] as? [String: Int] == ["tilda": 2, "direct_bot": 1])
            #expect(academy["openedBot"] as? Int == 2)
            #expect(academy["registered"] as? Int == 2)
            #expect(academy["booked"] as? Int == 1)
            #expect(academy["reminded"] as? Int == 1)
            let chain = try #require(academy["emailChain"] as? [[String: Any]])
            #expect(chain.first { $0["step"] as? String == "email1" }?["outcomes"] as? [String: Int] == ["done": 1, "cancelled": 1])
            #expect(chain.first { $0["step"] as? String == "email2" }?["outcomes"] as? [String: Int] == ["pending": 1])

            // A window that holds only the old rows: nothing of the last week, the 10-day-old conversation counts.
            let wide = try f.json(["stats", "--since", "30d", "--json"])
            #expect(((wide["shoro"] as? [String: Any])?["steps"] as? [[String: Any]])?.first?["conversations"] as? Int == 5)

            let screen = try f.botctl(["stats", "--since", "7d"])
            #expect(screen.status == 0, "\(screen.stderr)")
            #expect(screen.stdout.contains("conversion 50.0%, median time to order 15m 00s"), "\(screen.stdout)")
            #expect(
                screen.stdout.contains("Academy: 3 lead(s) (direct_bot 1, tilda 2), opened the bot 2, registered 2, booked 1, reminded 1"),
                "\(screen.stdout)")

            let bad = try f.botctl(["stats", "--since", "last tuesday"])
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("--since last tuesday"), "\(bad.stderr)")
        }
    }

    static func seedShoroFunnel(_ f: Fixture) throws {
        // (client, [(state, seconds ago)], order seconds after the first message)
        let conversations: [(String, [String], Double?, Double)] = [
            ("A", ["initial", "waitingAddress", "waitingPhone", "waitingBottles", "waitingConfirmation"], 600, 7200),
            ("B", ["initial", "waitingAddress", "waitingPhone"], nil, 7000),
            ("C", ["initial"], nil, 6000),
            ("D", ["initial", "waitingReuse", "waitingBottles", "waitingConfirmation"], 1200, 5000),
            ("E", ["initial", "waitingAddress", "waitingPhone", "waitingBottles", "waitingConfirmation"], 300, 10 * 86400),
        ]
        for (client, states, toOrder, ago) in conversations {
            for (index, state) in states.enumerated() {
                try f.postgres.query(
                    """
                    INSERT INTO message_logs (source, client_id, message_id, dialog_state, success, "timestamp")
                    VALUES ('chat2desk', $1, $2, $3, true, to_timestamp($4::float8))
                    """, [client, "\(client)-\(index)", state, f.at(ago - Double(index) * 30)])
            }
            if let toOrder {
                try f.postgres.query(
                    """
                    INSERT INTO orders (client_phone, delivery_address, bottles_count, chat2desk_client_id, idempotency_key, created_at)
                    VALUES ('+996555123456', 'ул. Киевская 95', 2, $1, $1, to_timestamp($2::float8))
                    """, [client, f.at(ago - toOrder)])
            }
        }
        // C ordered once before, a day earlier than this week's conversation: that order is not this conversation's.
        try f.postgres.query(
            """
            INSERT INTO orders (client_phone, delivery_address, bottles_count, chat2desk_client_id, idempotency_key, created_at)
            VALUES ('+996555123456', 'ул. Киевская 95', 2, 'C', 'C-earlier', to_timestamp($1::float8))
            """, [f.at(6000 + 86400)])
        for (client, outcome, state) in [
            ("A", "completed", nil), ("D", "completed", nil), ("B", "cancelled", "waitingPhone"), ("C", "expired", "initial"),
        ] as [(String, String, String?)] {
            try f.postgres.query(
                """
                INSERT INTO dialog_outcomes (client_id, dialog_id, outcome, completed, dropoff_state, total_messages, duration_seconds, created_at)
                VALUES ($1, $1, $2, $2 = 'completed', $3, 3, 60, to_timestamp($4::float8))
                """, [client, outcome, state, f.at(3000)])
        }
    }

    static func seedAcademyFunnel(_ f: Fixture) throws {
        let leads = try f.postgres.query(
            """
            INSERT INTO leads (source, status, bot_activated, tg_id, created_at) VALUES
              ('tilda', 'NEW', false, NULL, to_timestamp($1::float8)),
              ('tilda', 'SCHEDULED', true, 111, to_timestamp($1::float8)),
              ('direct_bot', 'REGISTERED', true, 222, to_timestamp($1::float8)),
              ('tilda', 'NEW', false, NULL, to_timestamp($2::float8))
            RETURNING id
            """, [f.at(7200), f.at(10 * 86400)]
        ).map { $0["id"]! }
        try f.postgres.query("INSERT INTO lead_events (lead_id, event) VALUES ($1, 'LESSON_SCHEDULED')", [leads[1]])
        try f.postgres.query(
            """
            INSERT INTO scheduled_jobs (id, kind, run_at, status) VALUES
              ('email1/' || $1, 'email1', now(), 'done'), ('email2/' || $1, 'email2', now() + interval '1 day', 'pending'),
              ('email1/' || $2, 'email1', now(), 'cancelled'), ('remind24h/111/123', 'remind24h', now(), 'done'),
              ('remind5h/222/456', 'remind5h', now() + interval '1 day', 'pending'), ('email1/' || $3, 'email1', now(), 'dead')
            """, [leads[0], leads[1], leads[3]])
    }

    // MARK: dlq

    @Test func deadLettersAreListedShownReplayedAndDiscardedOneAtATime() throws {
        try Self.withFixture { f in
            let shoro = InboundQueue.shoro
            // c7 has a newer message waiting; its dead letter must go back in front of it.
            try DeadLetterSeed.deadLetter(payload: "{\"text\":\"first\"}", conversation: "c7", queue: shoro, on: f.redis)
            try shoro.enqueue("{\"text\":\"second\"}", conversation: "c7", dedupeID: nil, dedupeSeconds: 0, on: f.redis)
            try DeadLetterSeed.deadLetter(payload: "{\"text\":\"other\"}", conversation: "c8", queue: shoro, on: f.redis)
            let outboxIDs = try f.postgres.query(
                """
                INSERT INTO outbox (channel, conversation, source_key, payload, status, attempts, last_error) VALUES
                ('chat2desk', 'c7', 'd1', '{"text":"reply"}', 'dead', 50, 'HTTP 500'),
                ('telegram', 't1', 'd2', '{"text":"hi"}', 'dead', 50, 'HTTP 403')
                RETURNING id
                """
            ).map { $0["id"]! }
            try f.postgres.query(
                "INSERT INTO scheduled_jobs (id, kind, run_at, status, attempts, last_error) VALUES ('email1/77', 'email1', now(), 'dead', 8, 'Resend 422')"
            )

            let list = try f.botctl(["dlq", "list", "--json"])
            #expect(list.status == 0, "\(list.stderr)")
            let letters = list.stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            let ids = letters.compactMap { $0["id"] as? String }
            #expect(ids.count == 5, "\(list.stdout)")
            let inbound = ids.filter { $0.hasPrefix("inbound:shoro:") }
            #expect(inbound.count == 2)
            #expect(ids.contains("outbox:\(outboxIDs[0])") && ids.contains("outbox:\(outboxIDs[1])") && ids.contains("job:email1/77"))
            // Stable: listing again gives the same ids.
            #expect(try f.botctl(["dlq", "list", "--json"]).stdout == list.stdout)
            let first = try #require(letters.first { $0["conversation"] as? String == "c7" }?["id"] as? String)

            let show = try f.json(["dlq", "show", first, "--json"])
            #expect(show["payload"] as? String == "{\"text\":\"first\"}")
            #expect(show["error"] as? String == "seeded failure")

            // A dry run changes nothing.
            let dry = try f.botctl(["dlq", "replay", "--dry-run", first, "outbox:\(outboxIDs[0])"])
            #expect(dry.status == 0 && dry.stdout.contains("\(first): would replay"), "\(dry.stdout) \(dry.stderr)")
            #expect(try f.redis.command(["LLEN", "q:{shoro}:dead"]).integer == 2)
            #expect(try f.postgres.queryOne("SELECT status FROM outbox WHERE id = $1", [outboxIDs[0]])["status"] == "dead")

            // Replay one inbound letter: it goes to the front of its conversation, ahead of the newer message.
            let replay = try f.botctl(["dlq", "replay", first])
            #expect(replay.status == 0 && replay.stdout.contains("\(first): replayed"), "\(replay.stdout) \(replay.stderr)")
            let c7 = try f.redis.command(["LRANGE", "q:{shoro}:c:c7", "0", "-1"]).array?.compactMap(\.string)
            #expect(c7 == ["{\"text\":\"first\"}", "{\"text\":\"second\"}"])
            #expect(try f.redis.command(["LLEN", "q:{shoro}:dead"]).integer == 1)
            // Again: it is gone, exit 1, nothing changes.
            let again = try f.botctl(["dlq", "replay", first])
            #expect(again.status == 1 && again.stdout.contains("not found"), "\(again.stdout)")
            #expect(try f.redis.command(["LLEN", "q:{shoro}:c:c7"]).integer == 2)

            // Outbox and job letters: replay one, discard the others.
            #expect(try f.botctl(["dlq", "replay", "outbox:\(outboxIDs[0])"]).status == 0)
            let replayed = try f.postgres.queryOne("SELECT status, attempts FROM outbox WHERE id = $1", [outboxIDs[0]])
            #expect(replayed["status"] == "pending" && replayed["attempts"] == "0")
            let discard = try f.botctl(["dlq", "discard", "outbox:\(outboxIDs[1])", "job:email1/77", "--json"])
            #expect(discard.status == 0, "\(discard.stdout) \(discard.stderr)")
            #expect(try f.postgres.queryOne("SELECT status FROM outbox WHERE id = $1", [outboxIDs[1]])["status"] == "discarded")
            #expect(try f.postgres.queryOne("SELECT status FROM scheduled_jobs WHERE id = 'email1/77'")["status"] == "cancelled")

            // A malformed id is refused before anything changes.
            let remaining = try #require(inbound.first { $0 != first })
            let bad = try f.botctl(["dlq", "discard", remaining, "outbox:abc"])
            #expect(bad.status != 0 && bad.stderr.contains("not a dead letter id: outbox:abc"), "\(bad.stderr)")
            #expect(try f.redis.command(["LLEN", "q:{shoro}:dead"]).integer == 1)
            #expect(try f.botctl(["dlq", "replay"]).status != 0, "neither ids nor --all")

            // --all replays what is left.
            let all = try f.botctl(["dlq", "replay", "--all"])
            #expect(all.status == 0 && all.stdout.contains("\(remaining): replayed"), "\(all.stdout)")
            #expect(try f.botctl(["dlq", "list"]).stdout.contains("no dead letters"))
        }
    }

    /// Two operators replay the same letters at the same moment: each letter is replayed exactly once.
    @Test func concurrentReplaysOfOneLetterReplayItOnce() throws {
        try Self.withFixture { f in
            let shoro = InboundQueue.shoro
            for round in 0..<3 {
                let conversation = "race\(round)"
                try DeadLetterSeed.deadLetter(payload: "{\"n\":\(round)}", conversation: conversation, queue: shoro, on: f.redis)
                let outboxID = try f.postgres.queryOne(
                    "INSERT INTO outbox (channel, conversation, source_key, payload, status) VALUES ('chat2desk', $1, $1, '{}', 'dead') RETURNING id",
                    [conversation])["id"]!
                let letter = try Self.onlyInboundID(f)
                let environment = try TestStack.stackChildEnvironment(["DATABASE_URL": f.databaseURL, "REDIS_URL": f.redisURL])
                let operators = try (0..<4).map { _ in
                    try ChildProcess(
                        try TestStack.executable("botctl"), ["dlq", "replay", letter, "outbox:\(outboxID)", "--json"],
                        environment: environment)
                }
                let outputs = try operators.map { try $0.wait(timeout: 30).stdout }
                let replays = outputs.joined(separator: "\n").split(separator: "\n").filter { $0.contains("\"replayed\"") }
                #expect(replays.filter { $0.contains(letter) }.count == 1, "\(outputs)")
                #expect(replays.filter { $0.contains("outbox:\(outboxID)") }.count == 1, "\(outputs)")
                #expect(try f.redis.command(["LRANGE", "q:{shoro}:c:\(conversation)", "0", "-1"]).array?.count == 1)
                #expect(try f.redis.command(["GET", "q:{shoro}:depth"]).string == String(round + 1))
            }
            // The same race inside one process, on many connections at once.
            try DeadLetterSeed.deadLetter(payload: "{\"n\":99}", conversation: "threads", queue: shoro, on: f.redis)
            let record = try #require(try shoro.deadLetterRecords(on: f.redis).first)
            let configuration = RedisConfiguration(url: f.redisURL)!
            let wins = ManagedCounter()
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                if let redis = try? RedisConnection(configuration), (try? shoro.replayDeadLetter(record: record, on: redis)) == true {
                    wins.add()
                }
            }
            #expect(wins.value == 1)
            #expect(try f.redis.command(["LLEN", "q:{shoro}:c:threads"]).integer == 1)
        }
    }

    static func onlyInboundID(_ f: Fixture) throws -> String {
        let list = try f.botctl(["dlq", "list", "--json"]).stdout
        let ids = list.split(separator: "\n").compactMap { line -> String? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return (object["id"] as? String).flatMap { $0.hasPrefix("inbound:") ? $0 : nil }
        }
        guard ids.count == 1 else { throw StackError("expected one inbound dead letter: \(list)") }
        return ids[0]
    }

    static func redisMilliseconds(_ redis: RedisConnection) throws -> Int64 {
        let time = try redis.command(["TIME"]).array ?? []
        return Int64(time[0].string!)! * 1000 + Int64(time[1].string!)! / 1000
    }
}

/// A counter shared by threads.
final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { self.lock.withLock { self.count += 1 } }
    var value: Int { self.lock.withLock { self.count } }
}

/// Puts a dead letter on a queue's dead list in the record layout `InboundQueue.deadLetter` writes.
enum DeadLetterSeed {
    static func deadLetter(
        payload: String, conversation: String, queue: InboundQueue = InboundQueue.academy, on redis: RedisConnection
    ) throws {
        let record: [String: Any] = [
            "conversation": conversation, "payload": payload, "error": "seeded failure", "attempts": 3,
            "failedAt": Date().timeIntervalSince1970,
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
        _ = try redis.command(["RPUSH", "q:{\(queue.name)}:dead", json])
    }
}
