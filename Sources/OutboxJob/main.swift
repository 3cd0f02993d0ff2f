import ArgumentParser
import Bots
import Curl
import Logging
import Platform

/// cron-outbox: started every minute by cron (flock-guarded); retries replies that failed inline.
struct OutboxJob: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cron-outbox", abstract: "Retry pending outbound messages.")

    @Option(help: "Seconds to keep retrying (default DRAIN_RUN_SECONDS).") var seconds: Double?

    func run() throws {
        let (config, logger) = ProcessSetup.load("cron-outbox")
        guard let shoro = config.shoro else { return }
        let texts = try ShoroRuntime.loadTexts(directory: config.infrastructure.textsDirectory)
        let deadline = monotonicSeconds() + (self.seconds ?? config.queue.runSeconds)
        let stop = StopFlag()
        HTTPClient.globalInit()
        runWorkerThreads(count: 1, stop: stop) { _ in
            let runtime = ShoroRuntime(config: config, shoro: shoro, texts: texts, logger: logger)
            repeat {
                do {
                    let delivered = try runtime.retryOutbox()
                    if delivered > 0 { logger.info("outbox delivered", metadata: ["count": "\(delivered)"]) }
                } catch {
                    logger.error("outbox pass failed", metadata: ["error": "\(error)"])
                }
                sleepSeconds(min(1, max(0, deadline - monotonicSeconds())))
            } while !stop.isSet && monotonicSeconds() < deadline
        }
    }
}

OutboxJob.main()
