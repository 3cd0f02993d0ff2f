import ArgumentParser
import Bots
import Curl
import Logging
import Platform
import BotCore

/// cron-drain: started every minute by cron (flock-guarded); drains the inbound queue for most of the minute.
struct DrainJob: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cron-drain", abstract: "Drain the Shoro inbound queue.")

    @Option(help: "Seconds to keep draining (default DRAIN_RUN_SECONDS).") var seconds: Double?
    @Option(help: "Worker threads (default DRAIN_CONCURRENCY, 1...50).") var concurrency: Int?

    func run() throws {
        let (config, logger) = ProcessSetup.load("cron-drain")
        guard let shoro = config.shoro else { return logger.info("SHORO_ENABLED is false: nothing to drain") }
        let texts: ShoroTexts
        do { texts = try ShoroRuntime.loadTexts(directory: config.infrastructure.textsDirectory) } catch {
            logger.critical("texts invalid", metadata: ["error": "\(error)"])
            throw ExitCode(78)
        }
        let deadline = monotonicSeconds() + (self.seconds ?? config.queue.runSeconds)
        let workers = min(50, max(1, self.concurrency ?? config.queue.concurrency))
        let stop = StopFlag()
        HTTPClient.globalInit()
        logger.info("drain starting", metadata: ["workers": "\(workers)"])
        runWorkerThreads(count: workers, stop: stop) { index in
            let runtime = ShoroRuntime(config: config, shoro: shoro, texts: texts, logger: logger)
            if index == 0 {
                _ = try? runtime.postgres.with { try runtime.step.expireIdleDialogs(now: Clock.system.now(), on: $0) }
            }
            QueueWorker(queue: Chat2DeskWebhookHandler.queue, settings: config.queue, logger: logger)
                .run(redis: runtime.redis, stop: stop, deadline: deadline, handle: runtime.handle)
        }
        logger.info("drain finished")
    }
}

DrainJob.main()
