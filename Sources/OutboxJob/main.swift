import Academy
import ArgumentParser
import Clients
import Curl
import Health
import Logging
import Platform
import Shoro
import Storage

/// cron-outbox: started every minute by cron (flock-guarded); retries replies that failed inline —
/// Chat2Desk for Shoro, Telegram for the Academy — one thread per enabled bot; and, with alerts configured, a thread
/// that watches for dead letters and stalls every `watchSeconds` and queues the alerts, which the Academy pass
/// (Telegram) and the alert-email thread (`ALERT_EMAIL`) send.
struct OutboxJob: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cron-outbox", abstract: "Retry pending outbound messages.")

    @Option(help: "Seconds to keep retrying (default DRAIN_RUN_SECONDS).") var seconds: Double?
    @Option(help: "Retry only this bot's sends (shoro or academy), without the alert watcher; default every enabled bot.") var bot: String?
    @Option(help: "Seconds between two looks of the alert watcher.") var watchSeconds: Double = 15

    func run() throws {
        let (config, logger) = ProcessSetup.load("cron-outbox")
        if let bot, !["shoro", "academy"].contains(bot) { throw ValidationError("--bot must be shoro or academy") }
        let shoro = self.bot == nil || self.bot == "shoro" ? config.shoro : nil
        let academy = self.bot == nil || self.bot == "academy" ? config.academy : nil
        let watch = self.bot == nil && Alerts(config.monitoring).isEnabled
        let passes: [(pause: Double, run: @Sendable () throws -> Int)] = [
            shoro.map { shoro in
                let replies = ThreadConfined { ShoroReplies(config: config, shoro: shoro, logger: logger) }
                return (1, { try replies.value.retryPass() })
            },
            academy.map { academy in
                let replies = ThreadConfined { AcademyReplies(config: config, academy: academy, logger: logger) }
                return (1, { try replies.value.retryPass() })
            },
            self.bot == nil && config.monitoring.alertEmail != nil
                ? {
                    let emails = ThreadConfined { AlertEmails(config: config, logger: logger) }
                    return (1, { try emails.value?.retryPass() ?? 0 })
                }() : nil,
            watch
                ? (
                    self.watchSeconds,
                    {
                        let context = ThreadConfined { WorkerContext(config: config, logger: logger) }
                        return {
                            let engines = context.value.engines
                            let raised = try engines.redis.with { redis in
                                try engines.postgres.with { try AlertWatcher(config: config).pass(postgres: $0, redis: redis) }
                            }
                            for kind in raised { logger.notice("alert queued", metadata: ["alert.kind": "\(kind.rawValue)"]) }
                            return 0
                        }
                    }()
                ) : nil,
        ].compactMap { $0 }
        guard !passes.isEmpty else { return logger.info("no enabled bot: nothing to retry") }
        let deadline = monotonicSeconds() + (self.seconds ?? config.queue.runSeconds)
        let stop = StopFlag()
        HTTPClient.globalInit()
        runWorkerThreads(count: passes.count, stop: stop) { index in
            repeatUntil(deadline: deadline, stop: stop, pauseSeconds: passes[index].pause) {
                do {
                    let delivered = try passes[index].run()
                    if delivered > 0 { logger.info("outbox delivered", metadata: ["count": "\(delivered)"]) }
                } catch {
                    logger.error("outbox pass failed", metadata: ["error": "\(error)"])
                }
            }
        }
        ProcessSetup.finishJob("cron-outbox", config: config, logger: logger)
    }
}

OutboxJob.main()
