public import BotCore
import Postgres
import Curl
import FoundationEssentials
public import Logging
public import Platform

/// Everything one Academy drain or jobs thread needs, built on that thread (connections are not shared).
public final class AcademyRuntime {
    public let config: AppConfig
    public let academy: AppConfig.Academy
    public let redis: LazyRedis
    public let postgres: LazyPostgres
    public let store = LeadStore()
    public let jobs = DelayedJobs()
    private let clock: Clock
    private let logger: Logger
    private let http = HTTPClient()

    public init(config: AppConfig, academy: AppConfig.Academy, clock: Clock = .system, logger: Logger) {
        self.config = config
        self.academy = academy
        self.redis = LazyRedis(config.infrastructure.redis)
        self.postgres = LazyPostgres(conninfo: config.infrastructure.databaseURL)
        self.clock = clock
        self.logger = logger
    }

    public var chainPolicy: EmailChainPolicy {
        EmailChainPolicy(
            email1Delay: self.academy.email.email1Delay, email2Delay: self.academy.email.email2Delay,
            callAlertDelay: self.academy.email.callAlertDelay)
    }

    /// Handles one message from the Academy queue.
    public func handle(_ delivery: InboundQueue.Delivery, extendLease: () -> Void) throws {
        let inbound = try JSONDecoder().decode(AcademyQueueMessage.self, from: Data(delivery.payload.utf8))
        switch inbound {
        case .tilda(let submission):
            let result = try self.postgres.with { connection in
                try connection.transaction { connection in
                    try self.store.recordTilda(submission, chain: self.chainPolicy, jobs: self.jobs, now: self.clock.now(), on: connection)
                }
            }
            self.logger.info("tilda lead recorded", metadata: [
                "lead.id": "\(result.leadID)", "lead.created": "\(result.created)", "duplicate": "\(result.duplicate)",
                "chain.scheduled": "\(result.scheduled?.rawValue ?? "none")", "tilda.tranid": "\(submission.tranid)",
                "email": "\(Redact.email(submission.email ?? ""))", "phone": "\(Redact.phone(submission.phone ?? ""))",
            ])
        case .telegram(let update):
            // The Telegram route is not exposed by nginx until the scenes are wired in; refuse loudly, never drop.
            throw ChainSendError(description: "telegram update \(update.updateID) arrived but the Telegram scenes are not enabled")
        }
    }

    /// Loads the email templates from `EMAIL_TEMPLATES_DIR`.
    public static func loadTemplates(directory: String) throws -> EmailTemplates {
        var files: [String: String] = [:]
        for name in EmailTemplates.templateNames {
            for language in EmailTemplates.languages {
                for suffix in ["txt", "html"] {
                    let file = "\(name).\(language).\(suffix)"
                    if let data = FileManager.default.contents(atPath: directory + "/" + file) {
                        files[file] = String(decoding: data, as: UTF8.self)
                    }
                }
            }
        }
        do {
            return try EmailTemplates(files: files)
        } catch {
            throw ConfigurationError(problems: [.init(variable: "EMAIL_TEMPLATES_DIR", message: "\(directory)/\(error)")])
        }
    }

    /// The email chain's job handler, with its clients.
    public func emailChainJobs(templates: EmailTemplates) -> EmailChainJobs {
        let infrastructure = self.config.infrastructure
        return EmailChainJobs(
            academy: self.academy, templates: templates,
            resend: ResendClient(
                settings: self.academy.email, timeout: infrastructure.httpTimeout, connectTimeout: infrastructure.httpConnectTimeout,
                http: self.http, redis: self.redis, clock: self.clock),
            telegram: self.telegramClient, jobs: self.jobs, clock: self.clock, logger: self.logger)
    }

    public var telegramClient: TelegramClient {
        TelegramClient(
            baseURL: self.academy.telegramAPIURL, token: self.academy.telegramToken, timeout: self.config.infrastructure.httpTimeout,
            connectTimeout: self.config.infrastructure.httpConnectTimeout, http: self.http, redis: self.redis, clock: self.clock)
    }

    /// One pass over the due jobs: every kind this bot knows. Returns how many ran.
    @discardableResult
    public func runDueJobs(templates: EmailTemplates) throws -> Int {
        let chain = self.emailChainJobs(templates: templates)
        let runner = DueJobsRunner(jobs: self.jobs, settings: self.config.jobs, clock: self.clock, logger: self.logger)
        return try runner.runDue(postgres: self.postgres) { job in
            guard EmailChainJobs.kinds.contains(job.kind) else {
                throw ChainSendError(description: "unknown job kind \(job.kind)")
            }
            try chain.run(job, postgres: self.postgres)
        }
    }
}
