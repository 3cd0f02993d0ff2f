public import FoundationEssentials

extension AcademyDialog {
    /// Something the runtime must do, in the order returned. Messages go to the state's `chatID`.
    public enum Effect: Sendable, Equatable {
        case send(AcademyMessage)
        /// `editMessageText` of an earlier bot message (markup, if any, is inline).
        case edit(messageID: Int64, AcademyMessage)
        case sendVideoNote(fileID: String)
        /// `answerCallbackQuery`; every callback gets exactly one.
        case answerCallback(id: String, text: String?)
        /// Look the parent up among the leads (deep-link lead first, then email, then phone); answer
        /// with `.leadLookup`.
        case lookupLead(email: String, phone: String, deepLinkRef: String?)
        case upsertLead(LeadUpsert)
        /// Cancel the lead's pending email chain and call alert (ids `email1/<id>`, …).
        case cancelEmailChain(leadID: Int64)
        /// Read free slots from `from` for `days` days; answer with `.slotsLoaded` or `.slotsUnavailable`.
        case loadSlots(from: Date, days: Int)
        /// Create the Zoom meeting and calendar event; answer with `.booked` or `.bookingFailed`.
        case bookLesson(BookingRequest)
        /// Delete the meeting and the calendar event of a lesson.
        case cancelBooking(BookedLesson)
        /// Record the lesson on the lead (`status` SCHEDULED, date, time, link) or its cancellation.
        case updateLeadLesson(tgID: Int64, LeadLessonChange)
        case scheduleReminder(LessonReminder)
        case cancelReminder(id: String)
        /// Pass a question to the AI handler with the step the user is at; it answers with the
        /// "↩ Back" keyboard (`AcademyDialog.returnKeyboard`).
        case askAI(text: String, step: Step)
        /// Download and transcribe; answer with `.transcribed` or `.transcriptionFailed`.
        case transcribe(fileID: String, kind: AudioMessage.Kind)
        /// Tell the manager something needs a person.
        case notifyManager(ManagerAlert)
    }

    /// What to book, with a deterministic key so a repeated request books once.
    public struct BookingRequest: Sendable, Hashable {
        public let slot: Slot
        public let tgID: Int64
        public let name: String
        public let email: String
        public let phone: String
        public let language: AcademyLanguage

        public init(slot: Slot, tgID: Int64, name: String, email: String, phone: String, language: AcademyLanguage) {
            self.slot = slot
            self.tgID = tgID
            self.name = name
            self.email = email
            self.phone = phone
            self.language = language
        }

        /// `book/<tg user>/<slot epoch>`.
        public var idempotencyKey: String { "book/\(self.tgID)/\(self.slot.epoch)" }
    }

    /// A change of the lead's lesson fields.
    public enum LeadLessonChange: Sendable, Hashable {
        case scheduled(BookedLesson)
        case cancelled
    }

    /// Something a person at the academy should follow up.
    public enum ManagerAlert: Sendable, Hashable {
        case bookingFailed(tgID: Int64, slot: Slot)
        /// The parent's email or phone matches a lead whose lesson another Telegram account booked.
        case contactBookedElsewhere(tgID: Int64, leadID: Int64)
        /// The parent asked for a person; what the registration has collected so far comes along (masked when sent).
        case humanRequested(tgID: Int64, name: String?, phone: String?, email: String?)
    }
}
