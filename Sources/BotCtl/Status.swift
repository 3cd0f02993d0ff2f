import ArgumentParser
import Operations
import Platform
import Postgres
import Redis

/// `botctl status`: queues, rates, dead letters, outbox, delayed jobs and the cron jobs' last runs on one screen.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show queues, rates, dead letters, outbox, jobs and last runs.")

    @Flag(help: "One JSON object.") var json = false

    func run() throws {
        let (config, _) = ProcessSetup.load("botctl")
        let redis = try RedisConnection(config.infrastructure.redis)
        let postgres = try PostgresConnection(conninfo: config.infrastructure.databaseURL)
        let status = try OperationsReadModel(bots: OperatedBot.enabled(in: config))
            .status(now: Clock.system.now(), redis: redis, postgres: postgres)
        if self.json {
            print(try OperationsFormat.json(status))
            return
        }
        print("chatbots status at \(OperationsFormat.instant(status.generatedAt))")
        print(
            Table(
                ["queue", "depth", "conversations", "oldest wait", "dead letters"],
                status.queues.map {
                    [$0.queue, "\($0.depth)", "\($0.conversations)", OperationsFormat.duration($0.oldestWaitSeconds), "\($0.deadLetters)"]
                }
            ).text)
        print(
            Table(
                ["bot", "handled 5m", "handled 1h", "failed 1h", "replies 5m", "replies 1h"],
                status.rates.map {
                    [
                        $0.bot, "\($0.handledLast5Minutes)", "\($0.handledLastHour)", "\($0.failedLastHour)",
                        "\($0.repliesSentLast5Minutes)", "\($0.repliesSentLastHour)",
                    ]
                }
            ).text)
        print(
            Table(
                ["outbox", "pending", "overdue", "dead", "oldest pending"],
                status.outbox.map {
                    [$0.channel, "\($0.pending)", "\($0.overdue)", "\($0.dead)", OperationsFormat.duration($0.oldestPendingSeconds)]
                }
            ).text)
        if status.outbox.isEmpty { print("  (nothing pending or dead)") }
        let jobs = status.jobs
        print("\ndelayed jobs: \(jobs.pending) pending, \(jobs.due) due, \(jobs.overdue) overdue, \(jobs.dead) dead")
        print("last runs: " + status.lastRuns.map { "\($0.job) \(OperationsFormat.lastRun($0))" }.joined(separator: ", "))
    }
}

/// A plain-text table: a header and rows, columns padded to their widest cell.
struct Table {
    let header: [String]
    let rows: [[String]]

    init(_ header: [String], _ rows: [[String]]) {
        self.header = header
        self.rows = rows
    }

    var text: String {
        let all = [self.header] + self.rows
        let widths = self.header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return "\n"
            + all.map { row in
                row.enumerated().map { index, cell in
                    index == 0
                        ? cell + String(repeating: " ", count: widths[index] - cell.count)
                        : String(repeating: " ", count: widths[index] - cell.count) + cell
                }.joined(separator: "  ")
            }.joined(separator: "\n")
    }
}
