/// The lead the runtime must create or update when registration completes (`.upsertLead`).
///
/// The runtime merges into `leadID` when set (a Tilda lead found by deep link, email or phone),
/// otherwise into the lead with this `tgID`, otherwise it inserts one with `source`. An existing
/// lead keeps its original source. `botActivated` is always true: the parent opened the bot.
public struct LeadUpsert: Sendable, Codable, Hashable {
    public let tgID: Int64
    public let chatID: Int64
    public let leadID: Int64?
    /// The deep-link reference from `/start lead_<ref>`, kept for the lead's history.
    public let deepLinkRef: String?
    /// Nil keeps the stored name (a returning parent whose lesson was found by the lookup).
    public let name: String?
    /// Normalised `+` and 10–15 digits.
    public let phone: String
    /// Normalised, lower case.
    public let email: String
    public let language: AcademyLanguage
    /// Always `direct_bot` for leads created here.
    public let source: String
    public let botActivated: Bool

    public init(
        tgID: Int64,
        chatID: Int64,
        leadID: Int64?,
        deepLinkRef: String?,
        name: String?,
        phone: String,
        email: String,
        language: AcademyLanguage
    ) {
        self.tgID = tgID
        self.chatID = chatID
        self.leadID = leadID
        self.deepLinkRef = deepLinkRef
        self.name = name
        self.phone = phone
        self.email = email
        self.language = language
        self.source = "direct_bot"
        self.botActivated = true
    }
}
