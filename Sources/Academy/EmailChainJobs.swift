public import BotCore
public import Clients
public import Logging
import Messages
public import Platform
import Postgres
public import Storage

/// Why a chain step could not be delivered this time (the job is retried with backoff).
public struct ChainSendError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Runs the email chain's delayed jobs (`email1`, `email2`, `call_alert`): decide, send outside any
/// transaction, then in one transaction mark the lead, log the history, schedule the next step and
/// finish the job. A re-run after a crash between the send and the commit sends again with the same
/// Idempotency-Key, which Resend answers without a second email.
public struct EmailChainJobs {
    public static let kinds: Set<String> = Set(EmailChainStep.allCases.map(\.rawValue))

    private let academy: AppConfig.Academy
    private let policy: EmailChainPolicy
    private let templates: EmailTemplates
    private let resend: ResendClient
    private let telegram: TelegramClient
    private let store = LeadStore()
    private let jobs: DelayedJobs
    private let clock: Clock
    private let logger: Logger

    public init(
        academy: AppConfig.Academy, templates: EmailTemplates, resend: ResendClient, telegram: TelegramClient,
        jobs: DelayedJobs = DelayedJobs(), clock: Clock = .system, logger: Logger
    ) {
        self.academy = academy
        self.policy = EmailChainPolicy(academy.email)
        self.templates = templates
        self.resend = resend
        self.telegram = telegram
        self.jobs = jobs
        self.clock = clock
        self.logger = logger
    }

    /// The `https://t.me/<bot>?start=lead_<token>` link whose `/start` payload identifies the lead.
    public static func botLink(username: String, linkToken: String) -> String { "https://t.me/\(username)?start=lead_\(linkToken)" }

    public func run(_ job: DelayedJobs.Job, postgres: LazyPostgres) throws {
        guard let step = EmailChainStep(rawValue: job.kind),
            let leadID = JSONValue.parse(job.payload)?.objectValue?["lead_id"].flatMap({ value -> Int64? in
                if case .integer(let id) = value { return id }
                return nil
            })
        else { throw ChainSendError(description: "not an email-chain job: \(job.kind) \(job.payload)") }
        guard let lead = try postgres.with({ try self.store.lead(id: leadID, on: $0) }) else {
            _ = try postgres.with { try self.jobs.finish(job, skipped: "lead_deleted", now: self.clock.now(), on: $0) }
            return
        }
        switch self.policy.decide(step, for: lead.chainState) {
        case .skip(let reason):
            try self.stop(job, leadID: leadID, step: step, reason: reason, postgres: postgres)
        case .alreadySent(let next):
            try self.commit(job, lead: lead, step: step, next: next, event: nil, postgres: postgres)
        case .send(let next):
            switch try self.deliver(step, job: job, lead: lead, postgres: postgres) {
            case .delivered(let event):
                try self.commit(job, lead: lead, step: step, next: next, event: event, postgres: postgres)
            case .stopped(let reason):
                try self.stop(job, leadID: leadID, step: step, reason: reason, postgres: postgres)
            }
        }
    }

    /// Ends the chain at `step`: finishes the job as skipped (a no-op when activation cancelled it already) and logs why.
    private func stop(_ job: DelayedJobs.Job, leadID: Int64, step: EmailChainStep, reason: String, postgres: LazyPostgres) throws {
        try postgres.with { connection in
            try connection.transaction { connection in
                if reason == "bot_activated" {
                    try self.jobs.cancel(
                        ids: EmailChainStep.allJobIDs(leadID: leadID), reason: reason, now: self.clock.now(), on: connection)
                }
                try self.jobs.finish(job, skipped: reason, now: self.clock.now(), on: connection)
                try self.store.appendEvent(
                    leadID: leadID, "CHAIN_STOPPED", detail: ["step": .string(step.rawValue), "reason": .string(reason)],
                    now: self.clock.now(), on: connection)
            }
        }
        self.logger.info("email chain stopped", metadata: ["lead.id": "\(leadID)", "step": "\(step.rawValue)", "reason": "\(reason)"])
    }

    /// What `deliver` did: the history line of a send (or of a refusal), or why the chain ended before sending.
    private enum Delivery {
        case delivered((String, [String: JSONValue]))
        case stopped(reason: String)
    }

    /// Runs `post` in a transaction holding the lead's row lock, if the lead has not opened the bot and this run still
    /// owns its job; otherwise returns nil and says why in `stopped`.
    ///
    /// The bot's registration sets `bot_activated` and cancels the chain's jobs in one transaction that updates this
    /// row, so it cannot commit between the check and the request: a parent who registers while a send waits for
    /// its retry gets no email, and one who registers during a request waits for it (one request's timeout at most).
    private func whileWanted<T>(
        _ job: DelayedJobs.Job, leadID: Int64, postgres: LazyPostgres, stopped: inout String?, _ post: () -> T
    ) throws -> T? {
        var reason: String?
        let outcome = try postgres.with { connection in
            try connection.transaction { connection -> T? in
                let lead = try self.store.lead(id: leadID, forUpdate: true, on: connection)
                if lead == nil {
                    reason = "lead_deleted"
                } else if lead?.botActivated == true {
                    reason = "bot_activated"
                } else if try !self.jobs.isOwned(job, on: connection) {
                    reason = "job_cancelled"
                }
                return reason == nil ? post() : nil
            }
        }
        stopped = reason
        return outcome
    }

    /// Sends the step's message; returns the history line, or why it was not sent. Throws when it should be retried later.
    private func deliver(_ step: EmailChainStep, job: DelayedJobs.Job, lead: Lead, postgres: LazyPostgres) throws -> Delivery {
        let values: [String: String] = [
            "name": lead.name.isEmpty ? (lead.language == "en" ? "there" : "родитель") : lead.name,
            "bot_link": Self.botLink(username: self.academy.telegramBotUsername, linkToken: lead.linkToken),
            "child_age": lead.childAge ?? "—", "phone": lead.phone ?? "—", "email": lead.email ?? "—",
            "lead_id": String(lead.id), "source": lead.source,
        ]
        switch step {
        case .email1, .email2:
            guard let to = lead.email, let rendered = self.templates.render(step.rawValue, language: lead.language, values: values) else {
                throw ChainSendError(description: "no email or template for lead \(lead.id)")
            }
            let email = OutgoingEmail(
                to: to, subject: rendered.subject, html: rendered.html, text: rendered.text,
                idempotencyKey: step.jobID(leadID: lead.id))
            // Re-checked before every attempt, inline retries included: the lead read above may be minutes old.
            var stopped: String?
            let result = self.resend.send(
                email,
                permit: { post in
                    try self.whileWanted(job, leadID: lead.id, postgres: postgres, stopped: &stopped, post)
                })
            switch result {
            case .sent(let id):
                return .delivered((step.sentEvent, ["resend_id": .string(id)]))
            case .rejected(let error):
                // Resend refused this address or message: record it and let the chain go on to the manager.
                self.logger.error("email rejected", metadata: ["lead.id": "\(lead.id)", "step": "\(step.rawValue)", "error": "\(error)"])
                return .delivered((step == .email1 ? "EMAIL_1_FAILED" : "EMAIL_2_FAILED", ["error": .string(error)]))
            case .retryable(let error):
                throw ChainSendError(description: error)
            case .withdrawn:
                return .stopped(reason: stopped ?? "withdrawn")
            }
        case .callAlert:
            guard let rendered = self.templates.render("call_alert", language: "ru", values: values) else {
                throw ChainSendError(description: "no call_alert template")
            }
            var detail: [String: JSONValue] = [:]
            let done = try postgres.with { try self.store.events(leadID: lead.id, on: $0) }.map(\.event)
            // Each channel is recorded as soon as it worked, so a retry does not alert the manager twice.
            if let chatID = self.academy.managerTelegramChatID, !done.contains("CALL_ALERT_TELEGRAM_SENT") {
                switch self.telegram.sendMessage(chatID: chatID, text: rendered.subject + "\n\n" + rendered.text) {
                case .ok:
                    try postgres.with {
                        try self.store.appendEvent(leadID: lead.id, "CALL_ALERT_TELEGRAM_SENT", now: self.clock.now(), on: $0)
                    }
                    detail["telegram"] = .bool(true)
                case .retryable(let error, _): throw ChainSendError(description: error)
                case .blocked(let error), .rejected(let error):
                    self.logger.error("manager alert refused by Telegram", metadata: ["lead.id": "\(lead.id)", "error": "\(error)"])
                    detail["telegram_error"] = .string(error)
                }
            }
            if let manager = self.academy.managerEmail, !done.contains("CALL_ALERT_EMAIL_SENT") {
                let email = OutgoingEmail(
                    to: manager, subject: rendered.subject, html: rendered.html, text: rendered.text,
                    idempotencyKey: step.jobID(leadID: lead.id))
                switch self.resend.send(email) {
                case .sent(let id):
                    try postgres.with {
                        try self.store.appendEvent(
                            leadID: lead.id, "CALL_ALERT_EMAIL_SENT", detail: ["resend_id": .string(id)], now: self.clock.now(), on: $0)
                    }
                    detail["email"] = .bool(true)
                case .rejected(let error): detail["email_error"] = .string(error)
                case .retryable(let error): throw ChainSendError(description: error)
                case .withdrawn: throw ChainSendError(description: "the manager's alert email was withdrawn")  // no permit: unreachable
                }
            }
            return .delivered((step.sentEvent, detail))
        }
    }

    /// Marks the step, logs it, schedules the next step and finishes the job, all in one transaction.
    private func commit(
        _ job: DelayedJobs.Job, lead: Lead, step: EmailChainStep, next: EmailChainPolicy.Next?,
        event: (String, [String: JSONValue])?, postgres: LazyPostgres
    ) throws {
        let now = self.clock.now()
        try postgres.with { connection in
            try connection.transaction { connection in
                if event?.0 == step.sentEvent { try self.store.markSent(step, leadID: lead.id, on: connection) }
                if let (name, detail) = event {
                    try self.store.appendEvent(leadID: lead.id, name, detail: detail, now: now, on: connection)
                }
                // The parent may have opened the bot while we were sending: then the chain ends here.
                let current = try self.store.lead(id: lead.id, forUpdate: true, on: connection)
                if let next, current?.botActivated == false {
                    try self.jobs.schedule(
                        id: next.step.jobID(leadID: lead.id), kind: next.step.rawValue, payload: job.payload,
                        runAt: now + next.delay, on: connection)
                }
                try self.jobs.finish(job, now: now, on: connection)
            }
        }
        self.logger.info(
            "email chain step done",
            metadata: [
                "lead.id": "\(lead.id)", "step": "\(step.rawValue)", "event": "\(event?.0 ?? "already sent")",
                "next": "\(next.map { "\($0.step.rawValue) in \(Int($0.delay)) s" } ?? "none")",
            ])
    }
}

extension EmailChainPolicy {
    /// The chain's delays as configured (`EMAIL_1_DELAY_SECONDS`, …).
    init(_ email: AppConfig.Academy.Email) {
        self.init(email1Delay: email.email1Delay, email2Delay: email.email2Delay, callAlertDelay: email.callAlertDelay)
    }
}
