/// What the runtime found when looking a parent up among the leads (answer to `.lookupLead`).
public struct LeadSummary: Sendable, Codable, Hashable {
    /// The CRM status, as stored in `leads.status`.
    public enum Status: String, Sendable, Codable, CaseIterable {
        case new = "NEW"
        case registered = "REGISTERED"
        case scheduled = "SCHEDULED"
        case cancelled = "CANCELLED"
        case completed = "COMPLETED"
    }

    public let id: Int64
    /// Normalised email (`EmailAddress`), if the lead has one.
    public let email: String?
    /// Normalised phone (`PhoneNumber`), if the lead has one.
    public let phone: String?
    /// The Telegram user already linked to the lead, if any.
    public let tgID: Int64?
    public let status: Status
    /// The booked lesson, if the lead has one that was not cancelled.
    public let lesson: BookedLesson?

    public init(id: Int64, email: String?, phone: String?, tgID: Int64?, status: Status, lesson: BookedLesson?) {
        self.id = id
        self.email = email
        self.phone = phone
        self.tgID = tgID
        self.status = status
        self.lesson = lesson
    }
}
