public import BotCore
public import Clients
import Curl
public import FoundationEssentials
public import Logging
public import Platform
import Storage

/// What the Academy's executables load once at start-up, before their threads start (a broken file is a
/// configuration error: exit 78), and the dialog's external services each worker thread builds.
public enum AcademySetup {
    /// Loads the dialog's texts and settings (exit 78 on a broken catalog, at start-up).
    public static func loadDialog(config: AppConfig, academy: AppConfig.Academy, timeZone: AcademyTimeZone) throws -> AcademyDialog {
        let texts = try self.loadTexts(directory: config.infrastructure.textsDirectory)
        return AcademyDialog(
            settings: AcademySettings(
                texts: texts, welcomeVideoNoteFileID: academy.welcomeVideoNoteFileID, managerLink: academy.managerLink,
                timeZone: timeZone,
                minimumNoticeSeconds: config.booking?.minimumNoticeSeconds ?? Double(BookingSettings.defaultMinimumNoticeHours) * 3600,
                maxVoiceBytes: config.ai?.voiceMaxBytes ?? 20 * 1024 * 1024))
    }

    /// Loads the Academy's catalogs (`academy.<language>.json`) from `TEXTS_DIR`.
    public static func loadTexts(directory: String) throws -> AcademyTexts {
        let files = try TextFiles.read(directory: directory, fileName: \AcademyLanguage.catalogFileName)
        do { return try AcademyTexts(json: files) } catch {
            throw ConfigurationError(problems: [.init(variable: "TEXTS_DIR", message: "academy texts: \(error)")])
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

    /// Raises an alert from this thread (its own lazily opened connections); never throws (see `Alerts.raise`).
    static func alerting(_ config: AppConfig, logger: Logger) -> (Alerts.Kind, String) -> Void {
        let alerts = Alerts(config.monitoring)
        guard alerts.isEnabled else { return { _, _ in } }
        let engines = Engines(config.infrastructure)
        return { kind, text in alerts.raise(kind: kind, text: text, engines: engines, logger: logger) }
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
                guard
                    let auth = try? GoogleAuth(
                        settings: google, scopes: [GoogleAuth.calendarScope], http: http, redis: redis, logger: logger,
                        timeout: infrastructure.httpTimeout, connectTimeout: infrastructure.httpConnectTimeout)
                else { return nil }
                let lessons = LessonBooking(
                    calendar: CalendarClient(auth: auth, baseURL: google.calendarAPIURL, calendarID: calendarID),
                    zoom: ZoomClient(
                        settings: booking.zoom, http: http, redis: redis, logger: logger, timeout: infrastructure.httpTimeout,
                        connectTimeout: infrastructure.httpConnectTimeout),
                    grid: LessonBooking.grid(booking, minimumNoticeSeconds: dialog.settings.minimumNoticeSeconds),
                    timeZone: zone, timeZoneIdentifier: booking.timeZoneIdentifier, texts: dialog.settings.texts, redis: redis,
                    cacheSeconds: booking.slotsCacheSeconds, logger: logger)
                lessons.alert = Self.alerting(config, logger: logger)
                return lessons
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
                var openAI = OpenAIClient(settings: ai, http: http, connectTimeout: infrastructure.httpConnectTimeout, logger: logger)
                let alert = Self.alerting(config, logger: logger)
                openAI.onQuotaExhausted = { error in
                    alert(
                        .openAIQuota,
                        "OpenAI refused a call (\(error)): the assistant and voice transcription answer \"unavailable\" until the account's billing is fixed."
                    )
                }
                let telegram = TelegramClient(
                    baseURL: academy.telegramAPIURL, token: academy.telegramToken, timeout: infrastructure.httpTimeout,
                    connectTimeout: infrastructure.httpConnectTimeout, http: http, redis: redis)
                return (
                    AIAssistant(settings: ai, openAI: openAI, redis: redis, logger: logger),
                    VoiceTranscriber(settings: ai, telegram: telegram, openAI: openAI, logger: logger)
                )
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
}
