import FoundationEssentials

/// One Tilda form submission, as queued for the drain: the lead's fields already normalised.
public struct TildaSubmission: Codable, Sendable, Equatable {
    /// Tilda's unique submission id (de-duplication key).
    public var tranid: String
    public var formid: String?
    public var name: String
    /// `+` and digits, or nil when the form had no usable phone.
    public var phone: String?
    /// Lower-case address, or nil when the form had no usable email.
    public var email: String?
    public var childAge: String?
    /// Fields that were present but unusable (kept in the lead's history, never guessed at).
    public var rejectedFields: [String: String]
    public var receivedAt: Double

    public init(
        tranid: String, formid: String?, name: String, phone: String?, email: String?, childAge: String?,
        rejectedFields: [String: String], receivedAt: Double
    ) {
        self.tranid = tranid
        self.formid = formid
        self.name = name
        self.phone = phone
        self.email = email
        self.childAge = childAge
        self.rejectedFields = rejectedFields
        self.receivedAt = receivedAt
    }

    /// The queue conversation: one lead's submissions are handled in order, by one worker.
    public var conversation: String { "lead:" + (self.email ?? self.phone ?? self.tranid) }
}

/// A message on the Academy queue.
public enum AcademyQueueMessage: Codable, Sendable, Equatable {
    case tilda(TildaSubmission)
    case telegram(TelegramInbound)
}
