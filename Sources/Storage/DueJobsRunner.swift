public import Logging
public import Platform

/// Runs due delayed jobs one at a time: claim (with a lease), hand to `handle`, and on a thrown error
/// schedule the retry with backoff or move the job to the dead letters after the last attempt.
///
/// `handle` commits the job's effects and calls `DelayedJobs.finish` in one transaction, so a job
/// either finished with its effects or is still due.
public struct DueJobsRunner {
    public let jobs: DelayedJobs
    public let settings: AppConfig.Jobs
    public let clock: Clock
    public let logger: Logger

    public init(jobs: DelayedJobs = DelayedJobs(), settings: AppConfig.Jobs, clock: Clock = .system, logger: Logger) {
        self.jobs = jobs
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    /// Runs every job due now; returns how many ran (finished or failed).
    @discardableResult
    public func runDue(postgres: LazyPostgres, handle: (DelayedJobs.Job) throws -> Void) throws -> Int {
        var ran = 0
        while let job = try postgres.with({
            try self.jobs.claimDue(now: self.clock.now(), limit: 1, leaseSeconds: self.settings.leaseSeconds, on: $0).first
        }) {
            ran += 1
            let metadata: Logger.Metadata = ["job.id": "\(job.id)", "job.kind": "\(job.kind)", "job.attempt": "\(job.attempt)"]
            do {
                try handle(job)
                self.logger.info("job ran", metadata: metadata)
            } catch {
                let dead = try postgres.with {
                    try self.jobs.fail(
                        job, error: String(describing: error), retryInSeconds: self.settings.backoff(afterAttempts: job.attempt),
                        maxAttempts: self.settings.maxAttempts, now: self.clock.now(), on: $0)
                }
                if dead {
                    self.logger.error("job dead-lettered", metadata: metadata.merging(["error": "\(error)"]) { $1 })
                } else {
                    self.logger.warning("job failed, will retry", metadata: metadata.merging(["error": "\(error)"]) { $1 })
                }
            }
        }
        return ran
    }
}
