public import Clients
import Edge
public import BotCore
import Postgres
import Curl
import FoundationEssentials
public import Logging
public import Platform
public import Storage

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

    /// The Telegram dialog (nil when only the leads side runs, e.g. in `cron-due-jobs` before texts load).
    public let dialog: AcademyDialog?
    /// The dialog's external work (slots, booking, AI, voice).
    public let services: AcademyServices

    public init(
        config: AppConfig, academy: AppConfig.Academy, dialog: AcademyDialog? = nil, services: AcademyServices? = nil,
        clock: Clock = .system, logger: Logger
    ) {
        self.config = config
        self.academy = academy
        self.dialog = dialog
        self.services = services ?? dialog.map { AcademyServices.unavailable(texts: $0.settings.texts, managerLink: academy.managerLink) }
            ?? AcademyServices.unavailable(texts: nil, managerLink: academy.managerLink)
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
            try self.handleTelegram(update, attempt: delivery.attempt, extendLease: extendLease)
        }
    }

    /// One Telegram update: the dialog step (one transaction), then the replies, in order per chat.
    /// On the last delivery attempt a failing step still tells the user what to do (the global error handler).
    func handleTelegram(_ update: TelegramInbound, attempt: Int, extendLease: () -> Void) throws {
        guard let dialog = self.dialog else { throw AcademyStepError(description: "the Academy dialog is not loaded") }
        let step = AcademyTelegramStep(dialog: dialog, services: self.services, managerChatID: self.academy.managerTelegramChatID, jobs: self.jobs)
        let started = monotonicSeconds()
        let result: AcademyTelegramStep.Result
        do {
            // The step's calls (OpenAI up to 45 s, Whisper up to 120 s, Zoom, Google) outlast a lease: every transfer
            // and retry wait on this thread extends it, so no other worker re-runs the update meanwhile.
            result = try TransferHeartbeat.during(extendLease) {
                try self.postgres.with { try step.run(update, now: self.clock.now(), on: $0) }
            }
        } catch {
            self.logger.error("telegram step failed", metadata: [
                "tg.chat": "\(update.chatID)", "tg.update": "\(update.updateID)", "attempt": "\(attempt)", "error": "\(error)",
            ])
            if attempt >= self.config.queue.maxAttempts && !Outage.isOutage(error) {
                _ = try? self.postgres.with { connection in
                    // In the user's language when their session says which; Russian otherwise.
                    let stored = try? connection.query(
                        "SELECT state ->> 'language' AS language FROM academy_sessions WHERE chat_id = $1 LIMIT 1",
                        [String(update.chatID)]).first?["language"]
                    let language = stored.flatMap { $0 }.flatMap { AcademyLanguage(rawValue: $0) } ?? .ru
                    try connection.transaction { try step.queueErrorMessage(update, language: language, on: $0) }
                }
                _ = try? self.flushTelegram(chats: [update.chatID], extendLease: extendLease)
            }
            throw error
        }
        // The user's chat is flushed even when the update had been handled already: a drainer that died after
        // the commit left its replies in the outbox, and this re-delivery is the quickest way to send them.
        // The step has committed, so the update is done even if the sends cannot be finished now: what is still
        // pending stays in the outbox for the outbox job (re-running a committed step would change nothing).
        var delivered = 0
        do {
            delivered = try self.flushTelegram(chats: Array(Set(result.chats + [update.chatID])).sorted(), extendLease: extendLease)
        } catch {
            self.logger.warning("replies left to the outbox: their outcomes could not be stored", metadata: [
                "tg.chat": "\(update.chatID)", "tg.update": "\(update.updateID)", "error": "\(error)",
            ])
        }
        self.logger.info("telegram update handled", metadata: [
            "tg.chat": "\(update.chatID)", "tg.update": "\(update.updateID)", "duplicate": "\(result.alreadyProcessed)",
            "ignored": "\(result.ignored ?? "no")", "dialog.step": "\(result.stepBefore)->\(result.stepAfter)",
            "replies": "\(result.replies)", "delivered": "\(delivered)", "ms": "\(Int((monotonicSeconds() - started) * 1000))",
        ])
    }

    /// Sends the pending Telegram messages of `chats`, in order; failures wait for the outbox job.
    @discardableResult
    public func flushTelegram(chats: [Int64], extendLease: () -> Void = {}, policy: Outbox.Policy? = nil) throws -> Int {
        let client = self.telegramClient
        let policy = policy ?? .afterStep(self.config.outbound)
        var delivered = 0
        for chat in chats {
            let result = try self.postgres.with { connection in
                try AcademyTelegramStep.outbox.flush(
                    conversation: String(chat), policy: policy, on: connection, onAttempt: extendLease,
                    send: { message in
                        client.send(message) { blocked in
                            self.logger.warning("the user blocked the bot; messages to this chat stop", metadata: ["tg.chat": "\(blocked)"])
                            _ = try? self.store.markBlocked(chatID: blocked, on: connection)
                        }
                    })
            }
            switch result {
            case .done(let count): delivered += count
            case .deferred(let count, let error):
                delivered += count
                self.logger.warning("telegram send deferred to the outbox", metadata: ["tg.chat": "\(chat)", "error": "\(error)"])
            case .busy: break
            }
        }
        return delivered
    }

    /// One outbox pass over Telegram chats with due messages (single attempt each, then backoff).
    public func retryTelegramOutbox() throws -> Int {
        let chats = try self.postgres.with { try AcademyTelegramStep.outbox.dueConversations(limit: 200, on: $0) }.compactMap(Int64.init)
        return try self.flushTelegram(chats: chats, policy: .retryPass(self.config.outbound))
    }

    /// The dialog's external services for one worker thread: booking when Google Calendar and Zoom are
    /// configured, otherwise honest "unavailable" answers.
    public static func services(
        config: AppConfig, academy: AppConfig.Academy, dialog: AcademyDialog, timeZone zone: AcademyTimeZone, logger: Logger
    ) -> AcademyServices {
        var services = AcademyServices.unavailable(texts: dialog.settings.texts, managerLink: academy.managerLink)
        if let google = config.google, let calendarID = google.calendarID, let booking = config.booking {
            let infrastructure = config.infrastructure
            let lessons = ThreadConfined { () -> LessonBooking? in
                let http = HTTPClient()
                let redis = LazyRedis(infrastructure.redis)
                guard let auth = try? GoogleAuth(
                    settings: google, scopes: [GoogleAuth.calendarScope], http: http, redis: redis, logger: logger,
                    timeout: infrastructure.httpTimeout, connectTimeout: infrastructure.httpConnectTimeout)
                else { return nil }
                return LessonBooking(
                    calendar: CalendarClient(auth: auth, baseURL: google.calendarAPIURL, calendarID: calendarID),
                    zoom: ZoomClient(
                        settings: booking.zoom, http: http, redis: redis, logger: logger, timeout: infrastructure.httpTimeout,
                        connectTimeout: infrastructure.httpConnectTimeout),
                    grid: LessonBooking.grid(booking, minimumNoticeSeconds: dialog.settings.minimumNoticeSeconds),
                    timeZone: zone, timeZoneIdentifier: booking.timeZoneIdentifier, texts: dialog.settings.texts, redis: redis,
                    cacheSeconds: booking.slotsCacheSeconds, logger: logger)
            }
            services.loadSlots = { from, days in lessons.value?.loadSlots(from: from, days: days) ?? .slotsUnavailable }
            services.book = { request in lessons.value?.book(request) ?? .bookingFailed(.unavailable) }
            services.cancelBooking = { lesson in
                guard let booking = lessons.value else { throw AcademyStepError(description: "booking is not available to cancel") }
                try booking.cancel(lesson)
            }
        }
        if let ai = config.ai {
            let infrastructure = config.infrastructure
            let texts = dialog.settings.texts
            let clients = ThreadConfined { () -> (AIAssistant, VoiceTranscriber) in
                let http = HTTPClient()
                let redis = LazyRedis(infrastructure.redis)
                let openAI = OpenAIClient(settings: ai, http: http, connectTimeout: infrastructure.httpConnectTimeout, logger: logger)
                let telegram = TelegramClient(
                    baseURL: academy.telegramAPIURL, token: academy.telegramToken, timeout: infrastructure.httpTimeout,
                    connectTimeout: infrastructure.httpConnectTimeout, http: http, redis: redis)
                return (AIAssistant(settings: ai, openAI: openAI, redis: redis, logger: logger),
                        VoiceTranscriber(settings: ai, telegram: telegram, openAI: openAI, logger: logger))
            }
            services.askAI = { question, tgID, language in
                switch clients.value.0.answer(question: question, tgUserID: tgID, language: language) {
                case .reply(let text): text
                case .rateLimited: texts.render(.aiRateLimited, language)
                case .unavailable: texts.render(.aiUnavailable, language, ["manager": academy.managerLink])
                }
            }
            services.transcribe = { fileID, _, _ in
                clients.value.1.transcribe(fileID: fileID).map { .transcribed($0) } ?? .transcriptionFailed
            }
        }
        return services
    }

    /// Loads the dialog's texts and settings (exit 78 on a broken catalog, at start-up).
    public static func loadDialog(config: AppConfig, academy: AppConfig.Academy, timeZone: AcademyTimeZone) throws -> AcademyDialog {
        var files: [AcademyLanguage: Data] = [:]
        for language in AcademyLanguage.allCases {
            let path = config.infrastructure.textsDirectory + "/" + language.catalogFileName
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError(problems: [.init(variable: "TEXTS_DIR", message: "cannot read \(path)")])
            }
            files[language] = data
        }
        let texts: AcademyTexts
        do { texts = try AcademyTexts(json: files) } catch {
            throw ConfigurationError(problems: [.init(variable: "TEXTS_DIR", message: "academy texts: \(error)")])
        }
        return AcademyDialog(settings: AcademySettings(
            texts: texts, welcomeVideoNoteFileID: academy.welcomeVideoNoteFileID, managerLink: academy.managerLink,
            timeZone: timeZone,
            minimumNoticeSeconds: config.booking?.minimumNoticeSeconds ?? Double(BookingSettings.defaultMinimumNoticeHours) * 3600,
            maxVoiceBytes: config.ai?.voiceMaxBytes ?? 20 * 1024 * 1024))
    }

    /// Sends a due lesson reminder (unless the lesson moved or the user blocked the bot), then finishes the job.
    func runReminder(_ job: DelayedJobs.Job) throws {
        guard let dialog = self.dialog else { throw AcademyStepError(description: "the Academy dialog is not loaded") }
        let payload = try JSONDecoder().decode(ReminderPayload.self, from: Data(job.payload.utf8))
        let now = self.clock.now()
        let sent = try self.postgres.with { connection in
            try connection.transaction { connection -> Bool in
                let lead = try connection.query(
                    "SELECT tg_blocked, extract(epoch FROM lesson_at)::double precision AS lesson_at, status FROM leads WHERE tg_id = $1",
                    [String(payload.reminder.tgID)]).first
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
                let message = dialog.reminderMessage(payload.reminder, language: payload.language)
                try AcademyTelegramStep.outbox.add(
                    conversation: String(payload.chatID), sourceKey: "job:\(job.id)",
                    payload: TelegramOutboxPayload(
                        method: "sendMessage", parameters: AcademyTelegramStep.messageParameters(message, chatID: payload.chatID)).json,
                    on: connection)
                try self.jobs.finish(job, now: now, on: connection)
                return true
            }
        }
        if sent { try self.flushTelegram(chats: [payload.chatID]) }
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
            if EmailChainJobs.kinds.contains(job.kind) {
                try chain.run(job, postgres: self.postgres)
            } else if LessonReminder.Kind(rawValue: job.kind) != nil {
                try self.runReminder(job)
            } else {
                throw ChainSendError(description: "unknown job kind \(job.kind)")
            }
        }
    }
}
