public import BotCore
public import Clients
import Curl
import FoundationEssentials
public import Logging
import Messages
public import Platform
import Postgres
public import Storage

/// `cron-due-jobs` for the Academy: the email chain and call alerts of the leads, and the lesson reminders, each
/// run when it comes due. One per worker thread.
public final class AcademyDueJobs {
    public let replies: AcademyReplies
    let dialog: AcademyDialog
    let templates: EmailTemplates
    let jobs = DelayedJobs()

    public init(replies: AcademyReplies, dialog: AcademyDialog, templates: EmailTemplates) {
        self.replies = replies
        self.dialog = dialog
        self.templates = templates
    }

    /// One pass over the due jobs: every kind this bot knows. Returns how many ran.
    @discardableResult
    public func runDue() throws -> Int {
        let chain = self.emailChainJobs()
        let runner = DueJobsRunner(
            jobs: self.jobs, settings: self.replies.context.config.jobs, clock: self.replies.context.clock,
            logger: self.replies.context.logger)
        return try runner.runDue(postgres: self.replies.context.engines.postgres) { job in
            if EmailChainJobs.kinds.contains(job.kind) {
                try chain.run(job, postgres: self.replies.context.engines.postgres)
            } else if LessonReminder.Kind(rawValue: job.kind) != nil {
                try self.runReminder(job)
            } else {
                throw ChainSendError(description: "unknown job kind \(job.kind)")
            }
        }
    }

    /// Sends a due lesson reminder (unless the lesson moved or the user blocked the bot), then finishes the job.
    func runReminder(_ job: DelayedJobs.Job) throws {
        let payload = try JSONDecoder().decode(ReminderPayload.self, from: Data(job.payload.utf8))
        let now = self.replies.context.clock.now()
        let sent = try self.replies.context.engines.postgres.with { connection in
            try connection.transaction { connection -> Bool in
                let lead = try connection.query(
                    "SELECT tg_blocked, extract(epoch FROM lesson_at)::double precision AS lesson_at, status FROM leads WHERE tg_id = $1",
                    [String(payload.reminder.tgID)]
                ).first
                let lessonAt = try lead?.decodeIfPresent("lesson_at", as: Double.self)
                var skip: String?
                if try lead?.decode("tg_blocked", as: Bool.self) == true { skip = "blocked" }
                if let lessonAt, abs(lessonAt - payload.reminder.lesson.start.timeIntervalSince1970) > 1 { skip = "lesson moved" }
                if lead != nil, lead?["status"] != "SCHEDULED" { skip = "not scheduled" }
                if now > payload.reminder.lesson.start.timeIntervalSince1970 { skip = "lesson already started" }
                if let skip {
                    try self.jobs.finish(job, skipped: skip, now: now, on: connection)
                    return false
                }
                let message = self.dialog.reminderMessage(payload.reminder, language: payload.language)
                try AcademyTelegramStep.outbox.add(
                    conversation: String(payload.chatID), sourceKey: "job:\(job.id)",
                    payload: TelegramOutboxPayload(
                        method: "sendMessage", parameters: AcademyTelegramStep.messageParameters(message, chatID: payload.chatID)
                    ).json,
                    on: connection)
                try self.jobs.finish(job, now: now, on: connection)
                return true
            }
        }
        if sent { try self.replies.flush(chats: [payload.chatID]) }
    }

    /// The email chain's job handler, with its clients.
    func emailChainJobs() -> EmailChainJobs {
        let replies = self.replies
        let infrastructure = replies.context.config.infrastructure
        return EmailChainJobs(
            academy: replies.academy, templates: self.templates,
            resend: ResendClient(
                settings: replies.academy.email, timeout: infrastructure.httpTimeout, connectTimeout: infrastructure.httpConnectTimeout,
                http: replies.http, redis: replies.context.engines.redis, clock: replies.context.clock),
            telegram: replies.client, jobs: self.jobs, clock: replies.context.clock, logger: replies.context.logger)
    }
}
