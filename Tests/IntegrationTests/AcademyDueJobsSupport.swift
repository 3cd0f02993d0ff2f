import Academy
import AcademyTime
import BotCore
import Logging
import Platform

extension AcademyDueJobs {
    /// The runner `cron-due-jobs` builds (texts, templates, time zone from `config`), with the clock stopped at `now`.
    static func forTests(_ config: AppConfig, at now: Double, logger: Logger = Logger(label: "test-jobs")) throws -> AcademyDueJobs {
        guard let academy = config.academy else {
            throw ConfigurationError(problems: [.init(variable: "ACADEMY_ENABLED", message: "false")])
        }
        let dialog = try AcademySetup.loadDialog(config: config, academy: academy, timeZone: try AcademyTimeZone.configured(config))
        return AcademyDueJobs(
            replies: AcademyReplies(config: config, academy: academy, clock: Clock { now }, logger: logger), dialog: dialog,
            templates: try AcademySetup.loadTemplates(directory: academy.email.templatesDirectory))
    }
}
