import ArgumentParser
import Platform
import Postgres
import Redis
import Storage

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
