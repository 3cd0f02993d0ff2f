import FoundationEssentials

extension AcademyDialog {
    /// Something that happened: a user action, or the result of an effect the runtime performed.
    public enum Event: Sendable, Equatable {
        // From the user
        /// `/start` with an optional deep-link payload; the language follows `languageCode`.
        case start(payload: String?, languageCode: String?)
        /// `/ai`, optionally with a question.
        case ai(question: String?)
        case text(String)
        /// A shared contact; `userID` is whose contact it is (nil for a typed vCard).
        case contact(phoneNumber: String, userID: Int64?)
        case voice(AudioMessage)
        case callback(CallbackPress)
        /// A photo, sticker, document or anything else without text.
        case unsupported

        // Results of effects
        case transcribed(String)
        case transcriptionFailed
        case leadLookup(LeadSummary?)
        case slotsLoaded([Slot])
        /// The calendar could not be read.
        case slotsUnavailable
        case booked(BookedLesson)
        case bookingFailed(BookingFailure)
    }

    /// A voice message or video note to transcribe.
    public struct AudioMessage: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable { case voice, videoNote }
        public let kind: Kind
        public let fileID: String
        public let durationSeconds: Int
        public let fileSize: Int?

        public init(kind: Kind, fileID: String, durationSeconds: Int, fileSize: Int?) {
            self.kind = kind
            self.fileID = fileID
            self.durationSeconds = durationSeconds
            self.fileSize = fileSize
        }
    }

    /// A pressed inline button.
    public struct CallbackPress: Sendable, Hashable {
        /// The `callback_query.id` to answer.
        public let id: String
        public let data: String?
        /// The message carrying the button; nil when Telegram no longer gives access to it.
        public let messageID: Int64?

        public init(id: String, data: String?, messageID: Int64?) {
            self.id = id
            self.data = data
            self.messageID = messageID
        }
    }

    /// Why booking failed.
    public enum BookingFailure: String, Sendable, Hashable {
        /// Someone else took the slot first.
        case slotTaken
        /// Zoom or the calendar failed after the runtime's retries.
        case unavailable
    }
}
