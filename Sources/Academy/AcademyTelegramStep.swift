public import BotCore
import Clients
public import FoundationEssentials
public import Messages
import Platform
public import Postgres
public import Storage

/// The external work the dialog asks for, answered as the dialog's own events. The booking and AI
/// services implement these; tests may pass their own.
public struct AcademyServices: Sendable {
    /// `loadSlots(from:days:)` → `.slotsLoaded` or `.slotsUnavailable`.
    public var loadSlots: @Sendable (Date, Int) -> AcademyDialog.Event
    /// `bookLesson` → `.booked` or `.bookingFailed`. Must be idempotent per `request.idempotencyKey`.
    public var book: @Sendable (AcademyDialog.BookingRequest) -> AcademyDialog.Event
    /// `cancelBooking`: removes the meeting and the calendar event; idempotent.
    public var cancelBooking: @Sendable (BookedLesson) throws -> Void
    /// `askAI`: the text to send (already filtered), for this Telegram user and language.
    public var askAI: @Sendable (_ question: String, _ tgID: Int64, _ language: AcademyLanguage) -> String
    /// `transcribe` → `.transcribed` or `.transcriptionFailed`.
    public var transcribe:
        @Sendable (_ fileID: String, _ kind: AcademyDialog.AudioMessage.Kind, _ language: AcademyLanguage) -> AcademyDialog.Event

    public init(
        loadSlots: @escaping @Sendable (Date, Int) -> AcademyDialog.Event,
        book: @escaping @Sendable (AcademyDialog.BookingRequest) -> AcademyDialog.Event,
        cancelBooking: @escaping @Sendable (BookedLesson) throws -> Void,
        askAI: @escaping @Sendable (String, Int64, AcademyLanguage) -> String,
        transcribe: @escaping @Sendable (String, AcademyDialog.AudioMessage.Kind, AcademyLanguage) -> AcademyDialog.Event
    ) {
        self.loadSlots = loadSlots
        self.book = book
        self.cancelBooking = cancelBooking
        self.askAI = askAI
        self.transcribe = transcribe
    }
}

/// Runs one Telegram update through the Academy dialog.
///
/// The dialog's questions to the outside world (lead lookup, slots, booking, AI, transcription) are
/// answered first, feeding their results back as events; then everything the step decided — the new
/// state, lead changes, reminders, and the replies as outbox rows — commits in ONE transaction, keyed by
/// the update id, so a re-run after a crash changes nothing twice. The queue guarantees one worker per chat.
public struct AcademyTelegramStep {
    public static let outbox = Outbox(channel: "telegram")

    private let dialog: AcademyDialog
    private let services: AcademyServices
    private let managerChatID: Int64?
    private let store = LeadStore()
    private let jobs: DelayedJobs

    public init(dialog: AcademyDialog, services: AcademyServices, managerChatID: Int64?, jobs: DelayedJobs = DelayedJobs()) {
        self.dialog = dialog
        self.services = services
        self.managerChatID = managerChatID
        self.jobs = jobs
    }

    /// What one step did, for logs and tests.
    public struct Result: Sendable, Equatable {
        public var alreadyProcessed: Bool
        public var ignored: String?
        public var stepBefore: String
        public var stepAfter: String
        public var replies: Int
        /// Chats with new outbox rows (the user's, maybe the manager's), to flush after the commit.
        public var chats: [Int64]
    }

    public func run(_ inbound: TelegramInbound, now: Double, on connection: PostgresConnection) throws -> Result {
        if try self.alreadyProcessed(inbound.updateID, on: connection) {
            return Result(alreadyProcessed: true, ignored: nil, stepBefore: "", stepAfter: "", replies: 0, chats: [])
        }
        let update = try JSONDecoder().decode(TelegramUpdate.self, from: Data(inbound.update.utf8))
        guard case .dialog(let message) = update.route else {
            if case .ignore(let reason) = update.route {
                try self.log(inbound, text: "", step: nil, on: connection)
                return Result(alreadyProcessed: false, ignored: reason.rawValue, stepBefore: "", stepAfter: "", replies: 0, chats: [])
            }
            return Result(alreadyProcessed: false, ignored: "unroutable", stepBefore: "", stepAfter: "", replies: 0, chats: [])
        }
        let date = Date(timeIntervalSince1970: now)
        var state =
            try self.loadState(userID: message.userID, on: connection)
            ?? AcademyDialog.State(userID: message.userID, chatID: message.chatID, languageCode: message.languageCode)
        let stepBefore = state.step.rawValue

        // Answer the dialog's questions until it only has things to commit.
        var pending: [AcademyDialog.Event] = [message.event]
        var commits: [AcademyDialog.Effect] = []
        var rounds = 0
        while !pending.isEmpty {
            rounds += 1
            guard rounds <= 12 else { throw AcademyStepError(description: "the dialog did not settle after 12 rounds") }
            let event = pending.removeFirst()
            let (next, effects) = self.dialog.handle(state, event, now: date)
            state = next
            for effect in effects {
                switch effect {
                case .lookupLead(let email, let phone, let deepLinkRef):
                    // The dialog keeps the deep link's reference (the lead's link token, `lead_` already removed).
                    let lead = try self.store.lookup(
                        deepLinkToken: deepLinkRef, tgID: state.userID, email: email, phone: phone, on: connection)
                    pending.append(.leadLookup(lead.map(Self.summary)))
                case .loadSlots(let from, let days):
                    pending.append(self.services.loadSlots(from, days))
                case .bookLesson(let request):
                    pending.append(try Self.holdingSlot(request.slot, on: connection) { self.services.book(request) })
                case .transcribe(let fileID, let kind):
                    pending.append(self.services.transcribe(fileID, kind, state.language))
                case .cancelBooking(let lesson):
                    try self.services.cancelBooking(lesson)
                case .askAI(let text, _):
                    let answer = self.services.askAI(text, state.userID, state.language)
                    commits.append(
                        .send(AcademyMessage(key: .aiIntro, text: answer, markup: self.dialog.returnKeyboard(language: state.language))))
                default:
                    commits.append(effect)
                }
            }
        }

        let finalState = state
        let replies = try connection.transaction { connection -> (Int, Set<Int64>) in
            // A concurrent re-run (an expired lease) may have committed meanwhile.
            if try self.alreadyProcessed(inbound.updateID, on: connection) { return (0, []) }
            var replies = 0
            var chats: Set<Int64> = []
            func addOutbox(chat: Int64, method: String, _ parameters: some Encodable) throws {
                try Self.outbox.add(
                    conversation: String(chat), sourceKey: "tg:\(inbound.updateID):\(replies)",
                    payload: TelegramOutboxPayload(method: method, parameters: parameters).json, acceptedAt: inbound.receivedAt,
                    on: connection)
                replies += 1
                chats.insert(chat)
            }
            let chat = finalState.chatID
            for effect in commits {
                switch effect {
                case .send(let message):
                    try addOutbox(chat: chat, method: "sendMessage", Self.messageParameters(message, chatID: chat))
                case .edit(let messageID, let message):
                    var parameters = Self.messageParameters(message, chatID: chat)
                    parameters.messageID = messageID
                    try addOutbox(chat: chat, method: "editMessageText", parameters)
                case .sendVideoNote(let fileID):
                    let parameters: [String: JSONValue] = ["chat_id": .integer(chat), "video_note": .string(fileID)]
                    try addOutbox(chat: chat, method: "sendVideoNote", parameters)
                case .answerCallback(let id, let text):
                    var parameters: [String: JSONValue] = ["callback_query_id": .string(id)]
                    if let text { parameters["text"] = .string(text) }
                    try addOutbox(chat: chat, method: "answerCallbackQuery", parameters)
                case .upsertLead(let upsert):
                    try self.store.recordBotRegistration(
                        tgID: upsert.tgID, chatID: upsert.chatID, mergeInto: upsert.leadID, deepLinkToken: upsert.deepLinkRef,
                        name: upsert.name,
                        phone: upsert.phone, email: upsert.email, language: upsert.language.rawValue, now: now, on: connection)
                case .cancelEmailChain(let leadID):
                    try self.jobs.cancel(ids: EmailChainStep.allJobIDs(leadID: leadID), reason: "bot_activated", now: now, on: connection)
                case .updateLeadLesson(let tgID, let change):
                    switch change {
                    case .scheduled(let lesson):
                        let local = self.dialog.settings.timeZone.local(lesson.start)
                        try self.store.recordLesson(
                            tgID: tgID, lessonAt: lesson.start.timeIntervalSince1970,
                            date: "\(local.year)-" + two(local.month) + "-" + two(local.day), time: local.time,
                            zoomLink: lesson.joinURL, meetingID: lesson.meetingID, eventID: lesson.calendarEventID, now: now, on: connection
                        )
                    case .cancelled:
                        try self.store.recordLesson(
                            tgID: tgID, lessonAt: nil, date: nil, time: nil, zoomLink: nil, meetingID: nil, eventID: nil, now: now,
                            on: connection)
                    }
                case .scheduleReminder(let reminder):
                    let payload = ReminderPayload(reminder: reminder, chatID: chat, language: finalState.language)
                    try self.jobs.reschedule(
                        id: reminder.id, kind: reminder.kind.rawValue, payload: try payload.json(),
                        runAt: reminder.at.timeIntervalSince1970, on: connection)
                case .cancelReminder(let id):
                    try self.jobs.cancel(ids: [id], reason: "lesson changed", now: now, on: connection)
                case .notifyManager(let alert):
                    if let manager = self.managerChatID {
                        let parameters = TelegramMessageParameters<ReplyMarkup>(
                            chatID: manager, text: self.managerText(alert), replyMarkup: nil)
                        try addOutbox(chat: manager, method: "sendMessage", parameters)
                    }
                default:
                    throw AcademyStepError(description: "unexpected effect at commit: \(effect)")
                }
            }
            try connection.query(
                """
                INSERT INTO academy_sessions (tg_id, chat_id, state, updated_at) VALUES ($1, $2, $3::jsonb, now())
                ON CONFLICT (tg_id) DO UPDATE SET chat_id = EXCLUDED.chat_id, state = EXCLUDED.state, updated_at = now()
                """, [String(finalState.userID), String(finalState.chatID), String(decoding: finalState.encoded(), as: UTF8.self)])
            try self.log(inbound, text: Self.logText(message.event), step: stepBefore, on: connection)
            return (replies, chats)
        }
        return Result(
            alreadyProcessed: false, ignored: nil, stepBefore: stepBefore, stepAfter: finalState.step.rawValue, replies: replies.0,
            chats: replies.1.sorted())
    }

    /// Runs `book` holding a PostgreSQL advisory lock on the slot's start, so parents confirming the same slot at the
    /// same moment are booked one after the other: the later booking's free/busy check then sees the earlier one's
    /// calendar event and answers `slotTaken` before it creates any Zoom meeting. The lock is the session's (the
    /// step commits later, in its own transaction) and is released as soon as the booking has answered; PostgreSQL
    /// releases it too if the connection dies. Slots of one grid do not overlap, so the start names the slot.
    static func holdingSlot<T>(_ slot: Slot, on connection: PostgresConnection, _ book: () throws -> T) throws -> T {
        let key = "academy:slot:\(Int64(slot.start.timeIntervalSince1970))"
        try connection.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [key])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key]) }
        return try book()
    }

    /// Queues the global error message for a chat (the runtime's error handler) outside any step.
    public func queueErrorMessage(_ inbound: TelegramInbound, language: AcademyLanguage, on connection: PostgresConnection) throws {
        let message = self.dialog.errorMessage(language: language)
        try Self.outbox.add(
            conversation: String(inbound.chatID), sourceKey: "tg:\(inbound.updateID):error",
            payload: TelegramOutboxPayload(method: "sendMessage", parameters: Self.messageParameters(message, chatID: inbound.chatID)).json,
            on: connection)
    }

    // MARK: -

    static func messageParameters(_ message: AcademyMessage, chatID: Int64) -> TelegramMessageParameters<ReplyMarkup> {
        TelegramMessageParameters(chatID: chatID, text: message.text, replyMarkup: message.markup)
    }

    static func summary(_ lead: Lead) -> LeadSummary {
        LeadSummary(
            id: lead.id, email: lead.email, phone: lead.phone, tgID: lead.tgID,
            status: LeadSummary.Status(rawValue: lead.status) ?? .new, lesson: nil)
    }

    private func managerText(_ alert: AcademyDialog.ManagerAlert) -> String {
        switch alert {
        case .bookingFailed(let tgID, let slot):
            let local = self.dialog.settings.timeZone.local(slot.start)
            return
                "Не удалось записать на пробный урок: Telegram \(tgID), слот \(local.time) (\(Int64(slot.start.timeIntervalSince1970))). Свяжитесь с родителем."
        case .contactBookedElsewhere(let tgID, let leadID):
            return
                "Родитель из Telegram \(tgID) указал контакты лида #\(leadID), чей урок записан с другого аккаунта. Проверьте, пожалуйста."
        case .humanRequested(let tgID, let name, let phone, let email):
            // The manager's chat is a third party's: contacts masked, enough to recognise the lead in the CRM.
            let details = [name.map { "имя \($0)" }, phone.map { "тел. \(Redact.phone($0))" }, email.map { "email \(Redact.email($0))" }]
                .compactMap { $0 }
            return "Родитель из Telegram \(tgID) просит связаться с менеджером"
                + (details.isEmpty ? "." : " (\(details.joined(separator: ", "))).")
        }
    }

    private func alreadyProcessed(_ updateID: Int64, on connection: PostgresConnection) throws -> Bool {
        try Self.messageLog.isHandled(messageID: String(updateID), on: connection)
    }

    private func loadState(userID: Int64, on connection: PostgresConnection) throws -> AcademyDialog.State? {
        guard
            let text = try connection.query("SELECT state::text AS state FROM academy_sessions WHERE tg_id = $1", [String(userID)]).first?[
                "state"]
        else { return nil }
        // An unreadable or older-version state starts over rather than failing every update.
        return AcademyDialog.State.decode(Data(text.utf8))
    }

    static let messageLog = MessageLog(source: "telegram")

    private func log(_ inbound: TelegramInbound, text: String, step: String?, on connection: PostgresConnection) throws {
        try connection.pipeline([
            Self.messageLog.recordHandled([
                .init(clientID: String(inbound.chatID), messageID: String(inbound.updateID), text: text, dialogState: step)
            ])
        ])
    }

    /// What the message log keeps of an event: typed text, never audio or contact details beyond the kind.
    static func logText(_ event: AcademyDialog.Event) -> String {
        switch event {
        case .text(let text): String(text.prefix(500))
        case .start(let payload, _): "/start" + (payload.map { " " + $0 } ?? "")
        case .ai(let question): "/ai" + (question.map { " " + $0 } ?? "")
        case .callback(let press): "[button] " + (press.data ?? "")
        case .contact: "[contact]"
        case .voice(let audio): "[\(audio.kind.rawValue) \(audio.durationSeconds)s]"
        default: "[\(event)]".prefix(100).description
        }
    }
}

/// What a lesson reminder job carries: enough to send it without reading the dialog state.
public struct ReminderPayload: Codable, Sendable, Equatable {
    public var reminder: LessonReminder
    public var chatID: Int64
    public var language: AcademyLanguage

    public init(reminder: LessonReminder, chatID: Int64, language: AcademyLanguage) {
        self.reminder = reminder
        self.chatID = chatID
        self.language = language
    }

    public func json() throws -> String { String(decoding: try JSONEncoder().encode(self), as: UTF8.self) }
}

/// A step that cannot go on (retried by the queue, then a dead letter).
public struct AcademyStepError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

private func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }

extension AcademyServices {
    /// Services for a deployment where booking, AI or voice are not configured: the dialog gets honest
    /// "unavailable" answers (it tells the parent and offers the manager), never a fake success. The AI's
    /// answer is the catalog's `aiUnavailable` text; `texts` is nil only for runtimes that run no dialog
    /// (the due-jobs runner), which never ask.
    public static func unavailable(texts: AcademyTexts?, managerLink: String) -> AcademyServices {
        AcademyServices(
            loadSlots: { _, _ in .slotsUnavailable },
            book: { _ in .bookingFailed(.unavailable) },
            cancelBooking: { _ in },
            askAI: { _, _, language in
                texts?.render(.aiUnavailable, language, ["manager": managerLink]) ?? managerLink
            },
            transcribe: { _, _, _ in .transcriptionFailed })
    }
}
