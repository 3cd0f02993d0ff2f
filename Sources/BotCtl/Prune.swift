import ArgumentParser
import Platform
import Postgres
import Redis
import Storage

/// `botctl prune`: the retention `cron-prune` applies each night (`RETENTION_*`); `--dry-run` shows what it would
/// remove now and changes nothing.
struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove data older than the retention (RETENTION_*); --dry-run only counts it.")

    @Flag(help: "Count what would be removed; change nothing.") var dryRun = false

    func run() throws {
        let (config, _) = ProcessSetup.load("botctl")
        let retention = Retention(settings: config.retention, queues: [.shoro, .academy])
        let postgres = try PostgresConnection(conninfo: config.infrastructure.databaseURL)
        let redis = try RedisConnection(config.infrastructure.redis)
        if self.dryRun {
            print("would remove (dry run, nothing changed):")
            for count in try retention.expired(postgres: postgres, redis: redis) { print("  \(count)") }
        } else {
            print("removed:")
            for count in try retention.removeAll(postgres: postgres, redis: redis) { print("  \(count)") }
        }
    }
}
