public import FoundationEssentials

extension AcademyDialog {
    /// Where a user's dialog stands; the raw value is stored and logged.
    public enum Step: String, Sendable, Codable, CaseIterable {
        /// No `/start` yet.
        case new
        case awaitingConsent, consentDeclined
        /// Strict steps: free text is the answer, not a question for the AI.
        case awaitingPhone, awaitingEmail, awaitingName
        /// Waiting for `.leadLookup` after the email.
        case checkingLead
        /// Waiting for `.slotsLoaded` (or `.slotsUnavailable`).
        case loadingSlots
        /// No slots, or the calendar could not be read; a retry button is shown.
        case slotsUnavailable
        case choosingDate, choosingTime, confirmingSlot
        /// Waiting for `.booked` or `.bookingFailed`.
        case booking
        case scheduled, confirmingReschedule, confirmingCancel
        case lessonCancelled
        /// The email or phone belongs to a lead with a lesson booked by someone else; the manager helps.
        case bookedElsewhere

        /// Steps where free text is the answer to the question asked.
        public var isStrict: Bool { self == .awaitingPhone || self == .awaitingEmail || self == .awaitingName }
    }

    /// One Telegram user's dialog, stored as JSON between updates.
    public struct State: Sendable, Codable, Equatable {
        /// Bumped whenever the stored shape or meaning changes; older states are discarded.
        public static let currentVersion = 1

        public let version: Int
        public let userID: Int64
        public internal(set) var chatID: Int64
        public internal(set) var language: AcademyLanguage
        public internal(set) var step: Step
        /// The reference from `/start lead_<ref>`, if the parent came from a Tilda link.
        public internal(set) var deepLinkRef: String?
        /// Normalised with `PhoneNumber`.
        public internal(set) var phone: String?
        /// Normalised with `EmailAddress`.
        public internal(set) var email: String?
        public internal(set) var name: String?
        /// The lead found by `.lookupLead`, merged into on upsert.
        public internal(set) var leadID: Int64?
        /// Free text goes to the AI even in strict steps, until "↩ Back".
        public internal(set) var aiMode: Bool
        /// The slots offered in the current date picker.
        public internal(set) var slots: [Slot]
        /// Grows with every freshly loaded picker; older buttons are stale.
        public internal(set) var pickerGeneration: Int
        public internal(set) var chosenDay: String?
        public internal(set) var chosenSlot: Slot?
        /// The booked lesson, kept while rescheduling until the new one is booked.
        public internal(set) var lesson: BookedLesson?
        /// Whether the date picker is open to move `lesson`.
        public internal(set) var rescheduling: Bool

        /// A dialog for a user who has not started yet.
        public init(userID: Int64, chatID: Int64, languageCode: String?) {
            self.version = Self.currentVersion
            self.userID = userID
            self.chatID = chatID
            self.language = AcademyLanguage(languageCode: languageCode)
            self.step = .new
            self.aiMode = false
            self.slots = []
            self.pickerGeneration = 0
            self.rescheduling = false
        }

        /// Decodes a stored state; nil when it is unreadable or of another version, so the runtime starts afresh.
        public static func decode(_ data: Data) -> State? {
            struct Versioned: Decodable { let version: Int }
            guard let versioned = try? JSONDecoder().decode(Versioned.self, from: data),
                versioned.version == Self.currentVersion
            else { return nil }
            return try? JSONDecoder().decode(State.self, from: data)
        }

        /// The JSON the runtime stores.
        public func encoded() -> Data {
            // Encoding plain values, strings and dates cannot fail.
            (try? JSONEncoder().encode(self)) ?? Data()
        }
    }
}
