import Academy
import AcademyTime
import ArgumentParser
import BotCore
import Curl
import Logging
import Platform

/// cron-due-jobs: started every minute by cron (flock-guarded); runs delayed jobs (the email chain,
/// call alerts) as they come due, for most of the minute.
struct DueJobsJob: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cron-due-jobs", abstract: "Run due delayed jobs.")

    @Option(help: "Seconds to keep running (default DRAIN_RUN_SECONDS).") var seconds: Double?

    func run() throws {
        let (config, logger) = ProcessSetup.load("cron-due-jobs")
        guard let academy = config.academy else { return logger.info("ACADEMY_ENABLED is false: no jobs to run") }
        let templates: EmailTemplates
        do { templates = try AcademySetup.loadTemplates(directory: academy.email.templatesDirectory) } catch {
            logger.critical("email templates invalid", metadata: ["error": "\(error)"])
            throw ExitCode(ExitStatus.configuration.rawValue)
        }
        let dialog: AcademyDialog
        do {
            dialog = try AcademySetup.loadDialog(config: config, academy: academy, timeZone: try AcademyTimeZone.configured(config))
        } catch {
            logger.critical("academy texts invalid", metadata: ["error": "\(error)"])
            throw ExitCode(ExitStatus.configuration.rawValue)
        }
        let deadline = monotonicSeconds() + (self.seconds ?? config.queue.runSeconds)
        let stop = StopFlag()
        HTTPClient.globalInit()
        runWorkerThreads(count: 1, stop: stop) { _ in
            let jobs = AcademyDueJobs(
                replies: AcademyReplies(config: config, academy: academy, logger: logger), dialog: dialog, templates: templates)
            repeatUntil(deadline: deadline, stop: stop, pauseSeconds: 1) {
                do { try jobs.runDue() } catch {
                    logger.error("jobs pass failed", metadata: ["error": "\(error)"])
                }
            }
        }
        ProcessSetup.finishJob("cron-due-jobs", config: config, logger: logger)
    }
}

DueJobsJob.main()
