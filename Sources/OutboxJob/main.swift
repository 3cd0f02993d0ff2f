import ArgumentParser
import Academy
import Shoro
import Curl
import Logging
import Platform

/// cron-outbox: started every minute by cron (flock-guarded); retries replies that failed inline —
/// Chat2Desk for Shoro, Telegram for the Academy — one thread per enabled bot.
struct OutboxJob: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cron-outbox", abstract: "Retry pending outbound messages.")

    @Option(help: "Seconds to keep retrying (default DRAIN_RUN_SECONDS).") var seconds: Double?
    @Option(help: "Retry only this bot's sends (shoro or academy); default every enabled bot.") var bot: String?

    func run() throws {
        let (config, logger) = ProcessSetup.load("cron-outbox")
        if let bot, !["shoro", "academy"].contains(bot) { throw ValidationError("--bot must be shoro or academy") }
        let shoro = self.bot == nil || self.bot == "shoro" ? config.shoro : nil
        let academy = self.bot == nil || self.bot == "academy" ? config.academy : nil
        let passes: [@Sendable () throws -> Int] = [
            shoro.map { shoro in
                let replies = ThreadConfined { ShoroReplies(config: config, shoro: shoro, logger: logger) }
                return { try replies.value.retryPass() }
            },
            academy.map { academy in
                let replies = ThreadConfined { AcademyReplies(config: config, academy: academy, logger: logger) }
                return { try replies.value.retryPass() }
            },
        ].compactMap { $0 }
        guard !passes.isEmpty else { return logger.info("no enabled bot: nothing to retry") }
        let deadline = monotonicSeconds() + (self.seconds ?? config.queue.runSeconds)
        let stop = StopFlag()
        HTTPClient.globalInit()
        runWorkerThreads(count: passes.count, stop: stop) { index in
            repeatUntil(deadline: deadline, stop: stop, pauseSeconds: 1) {
                do {
                    let delivered = try passes[index]()
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
