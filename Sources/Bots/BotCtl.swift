import Edge
public import ArgumentParser
import Curl
import FoundationEssentials
import Logging
import Platform
import Postgres
import Redis
import Storage

/// `botctl`: the operator's tool.
public struct BotCtl: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "botctl", abstract: "Operate the chatbots service.", version: ChatbotsVersion.current,
        subcommands: [Migrate.self, Chat.self, Orders.self, Leads.self, Jobs.self, DeadLetters.self, Telegram.self])

    public init() {}
}

/// `botctl migrate`: applies pending migrations.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations in order.")

    @Option(help: "Folder of NNNN_name.sql files.")
    var dir = "migrations"

    func run() throws {
        let (config, logger) = ProcessSetup.load("botctl")
        let connection = try PostgresConnection(conninfo: config.infrastructure.databaseURL)
        let applied = try Migrator(directory: self.dir, logger: logger).migrate(connection)
        print(applied.isEmpty ? "database is up to date" : "applied: \(applied.joined(separator: ", "))")
    }
}

/// `botctl orders`: the latest orders.
struct Orders: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the latest Shoro orders.")

    @Flag(help: "One JSON object per line.") var json = false
    @Option(help: "How many orders.") var limit = 20

    func run() throws {
        let (config, _) = ProcessSetup.load("botctl")
        let connection = try PostgresConnection(conninfo: config.infrastructure.databaseURL)
        let rows = try connection.query(
            """
            SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS created, status, client_phone,
                   bottles_count, delivery_address, chat2desk_client_id FROM orders ORDER BY id DESC LIMIT $1
            """, [String(self.limit)])
        for row in rows.reversed() {
            let fields: [(String, String)] = [
                ("id", row["id"] ?? ""), ("created_at", row["created"] ?? ""), ("status", row["status"] ?? ""),
                ("phone", row["client_phone"] ?? ""), ("bottles", row["bottles_count"] ?? ""),
                ("address", row["delivery_address"] ?? ""), ("chat2desk_client_id", row["chat2desk_client_id"] ?? ""),
            ]
            if self.json {
                print("{" + fields.map { "\(JSONText.quote($0.0)):\(JSONText.quote($0.1))" }.joined(separator: ",") + "}")
            } else {
                print(fields.map { $0.1 }.joined(separator: " | "))
            }
        }
        if rows.isEmpty && !self.json { print("no orders yet") }
    }
}

/// `botctl dlq list|replay`: dead letters of the inbound queue and of the outbox.
struct DeadLetters: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq", abstract: "Show or re-queue dead letters.", subcommands: [List.self, Replay.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show dead letters with their errors.")
        @Option(help: "Inbound queue name (shoro or academy).") var queue = "shoro"

        func run() throws {
            let (config, _) = ProcessSetup.load("botctl")
            let redis = try RedisConnection(config.infrastructure.redis)
            let letters = try InboundQueue(name: self.queue).deadLetters(on: redis)
            print("inbound queue \(self.queue): \(letters.count) dead letter(s)")
            for letter in letters {
                print("  conversation \(letter.conversation), \(letter.attempts) attempt(s): \(letter.error)")
                print("    payload: \(letter.payload.prefix(200))")
            }
            let connection = try PostgresConnection(conninfo: config.infrastructure.databaseURL)
            let rows = try connection.query(
                "SELECT id, channel, conversation, attempts, last_error FROM outbox WHERE status = 'dead' ORDER BY id")
            print("outbox: \(rows.count) dead send(s)")
            for row in rows {
                print("  #\(row["id"] ?? "") \(row["channel"] ?? "") conversation \(row["conversation"] ?? ""), "
                    + "\(row["attempts"] ?? "") attempt(s): \(row["last_error"] ?? "")")
            }
            let jobs = try DelayedJobs().list(status: "dead", on: connection)
            print("delayed jobs: \(jobs.count) dead")
            for job in jobs { print("  \(job.id), \(job.attempts) attempt(s): \(job.lastError ?? "")") }
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-queue every dead letter (inbound and outbox).")
        @Option(help: "Inbound queue name (shoro or academy).") var queue = "shoro"

        func run() throws {
            let (config, _) = ProcessSetup.load("botctl")
            let redis = try RedisConnection(config.infrastructure.redis)
            let replayed = try InboundQueue(name: self.queue).replayDeadLetters(on: redis)
            let connection = try PostgresConnection(conninfo: config.infrastructure.databaseURL)
            let sends = try connection.query(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now() WHERE status = 'dead' RETURNING id")
            let jobs = try DelayedJobs().replayDead(now: Clock.system.now(), on: connection)
            print("re-queued \(replayed) inbound message(s), \(sends.count) outbound send(s) and \(jobs) delayed job(s)")
        }
    }
}
