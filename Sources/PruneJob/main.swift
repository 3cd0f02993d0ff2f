import ArgumentParser
import Logging
import Platform
import Postgres
import Redis
import Storage
import Synchronization

/// cron-prune: started nightly by cron (flock-guarded); removes what is older than the retention (`RETENTION_*`):
/// customers' texts, sent replies, finished jobs, lead events, dead letters, one batch of each per pass.
/// Exit 0 when nothing expired is left, 75 when the run ended first or PostgreSQL/Redis failed (the next run
/// continues), 78 on bad configuration.
struct PruneJob: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cron-prune", abstract: "Delete data older than the retention (RETENTION_*).")

    @Option(help: "Seconds to keep deleting before leaving the rest to the next run (default 3000).") var seconds: Double = 3000

    func run() throws {
        let (config, logger) = ProcessSetup.load("cron-prune")
        let retention = Retention(settings: config.retention, queues: [.shoro, .academy])
        let deadline = monotonicSeconds() + self.seconds
        let stop = StopFlag()
        let outcome = Mutex<(totals: [Retention.Count], finished: Bool)>(([], false))
        runWorkerThreads(count: 1, stop: stop) { _ in
            do {
                let postgres = try PostgresConnection(conninfo: config.infrastructure.databaseURL)
                let redis = try RedisConnection(config.infrastructure.redis)
                repeatUntil(deadline: deadline, stop: stop, pauseSeconds: 0) {
                    do {
                        let batch = try retention.removeBatch(postgres: postgres, redis: redis)
                        let done = batch.allSatisfy { $0.count == 0 }
                        outcome.withLock { $0 = (Retention.adding(batch, to: $0.totals), done) }
                        if done { stop.set() }
                    } catch {
                        logger.error("prune batch failed; the next run continues", metadata: ["error": "\(error)"])
                        stop.set()
                    }
                }
            } catch {
                logger.error("prune cannot connect; the next run continues", metadata: ["error": "\(error)"])
            }
        }
        let (totals, finished) = outcome.withLock { $0 }
        logger.info("pruned", metadata: .init(uniqueKeysWithValues: totals.map { ("pruned.\($0.name)", "\($0.count)") }))
        if !finished { throw ExitCode(ExitStatus.temporaryFailure.rawValue) }
    }
}

PruneJob.main()
