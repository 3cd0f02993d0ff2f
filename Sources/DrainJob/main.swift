import Academy
import AcademyTime
import ArgumentParser
import BotCore
import Clients
import Curl
import Logging
import Platform
import Shoro
import Storage

/// cron-drain: started every minute by cron (flock-guarded); drains the inbound queues of the enabled
/// bots for most of the minute, with its own worker threads per bot.
struct DrainJob: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cron-drain", abstract: "Drain the bots' inbound queues.")

    @Option(help: "Seconds to keep draining (default DRAIN_RUN_SECONDS).") var seconds: Double?
    @Option(help: "Worker threads per bot (default DRAIN_CONCURRENCY, 1...50).") var concurrency: Int?
    @Option(help: "Drain only this bot (shoro or academy); default every enabled bot.") var bot: String?

    func run() throws {
        let (config, logger) = ProcessSetup.load("cron-drain")
        if let bot, !["shoro", "academy"].contains(bot) { throw ValidationError("--bot must be shoro or academy") }
        let drainShoro = config.shoro != nil && (self.bot == nil || self.bot == "shoro")
        let drainAcademy = config.academy != nil && (self.bot == nil || self.bot == "academy")
        guard drainShoro || drainAcademy else { return logger.info("no enabled bot to drain") }
        let shoroTexts: ShoroTexts?
        do { shoroTexts = drainShoro ? try ShoroDrain.loadTexts(directory: config.infrastructure.textsDirectory) : nil } catch {
            logger.critical("texts invalid", metadata: ["error": "\(error)"])
            throw ExitCode(ExitStatus.configuration.rawValue)
        }
        var academyDialog: (AcademyDialog, AcademyTimeZone)?
        if drainAcademy, let academy = config.academy {
            do {
                let zone = try AcademyTimeZone.configured(config)
                academyDialog = (try AcademySetup.loadDialog(config: config, academy: academy, timeZone: zone), zone)
            } catch {
                logger.critical("academy dialog cannot start", metadata: ["error": "\(error)"])
                throw ExitCode(ExitStatus.configuration.rawValue)
            }
        }
        let academyLoaded = academyDialog
        let deadline = monotonicSeconds() + (self.seconds ?? config.queue.runSeconds)
        let perBot = min(50, max(1, self.concurrency ?? config.queue.concurrency))
        let shoroWorkers = drainShoro ? perBot : 0
        let stop = StopFlag()
        HTTPClient.globalInit()
        if drainAcademy, let google = config.google {
            // The key file's shape was checked with the configuration; the key itself is loaded here, once, so a
            // broken key stops the start (exit 78) instead of quietly turning booking off.
            do {
                _ = try GoogleAuth(settings: google, scopes: [GoogleAuth.calendarScope], http: HTTPClient(), redis: nil, logger: logger)
            } catch {
                logger.critical("GOOGLE_SERVICE_ACCOUNT_FILE: the private key cannot be loaded", metadata: ["error": "\(error)"])
                throw ExitCode(ExitStatus.configuration.rawValue)
            }
        }
        logger.info("drain starting", metadata: ["workers.shoro": "\(shoroWorkers)", "workers.academy": "\(drainAcademy ? perBot : 0)"])
        let workers = shoroWorkers + (drainAcademy ? perBot : 0)
        runWorkerThreads(count: workers + 1, stop: stop) { index in
            if index == workers {
                // One more thread: the drain is alive (see JobRuns.heartbeatSeconds), until the workers stop.
                // Short pauses, so SIGTERM still stops the drain within a second.
                let redis = LazyRedis(config.infrastructure.redis)
                var next = 0.0
                repeatUntil(deadline: deadline, stop: stop, pauseSeconds: 0.5) {
                    guard monotonicSeconds() >= next else { return }
                    next = monotonicSeconds() + JobRuns.heartbeatSeconds
                    _ = try? redis.with { try JobRuns.recordSuccess("cron-drain", on: $0) }
                }
            } else if index < shoroWorkers, let shoro = config.shoro, let shoroTexts {
                let drain = ShoroDrain(replies: ShoroReplies(config: config, shoro: shoro, logger: logger), texts: shoroTexts)
                if index == 0 {
                    _ = try? drain.postgres.with { try drain.step.expireIdleDialogs(now: Clock.system.now(), on: $0) }
                }
                QueueWorker(queue: InboundQueue.shoro, settings: config.queue, logger: logger, isOutage: Outage.isOutage)
                    .run(redis: drain.redis, stop: stop, deadline: deadline, batchSize: config.queue.batchSize, workers: shoroWorkers) {
                        drain.handle($0, extendLeases: $1)
                    }
            } else if let academy = config.academy, let (dialog, zone) = academyLoaded {
                let drain = AcademyDrain(
                    replies: AcademyReplies(config: config, academy: academy, logger: logger), dialog: dialog,
                    services: AcademySetup.services(config: config, academy: academy, dialog: dialog, timeZone: zone, logger: logger))
                QueueWorker(queue: InboundQueue.academy, settings: config.queue, logger: logger, isOutage: Outage.isOutage)
                    .run(redis: drain.redis, stop: stop, deadline: deadline, handle: drain.handle)
            }
        }
        logger.info("drain finished")
        ProcessSetup.finishJob("cron-drain", config: config, logger: logger)
    }
}

DrainJob.main()
