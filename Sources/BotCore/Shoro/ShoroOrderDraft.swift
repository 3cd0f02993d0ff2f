/// An order the dialog asks the runtime to create once the customer confirms.
public struct ShoroOrderDraft: Sendable, Codable, Equatable {
    /// `"<dialog id>#<restart count>"`: unique per dialog, usable as an idempotency key.
    public var dialogID: String
    public var address: String
    /// Normalised as `+996XXXXXXXXX`.
    public var phone: String
    public var bottles: Int
    /// The language the customer was talking in, for follow-up messages.
    public var language: ShoroLanguage

    /// Creates a draft order.
    public init(dialogID: String, address: String, phone: String, bottles: Int, language: ShoroLanguage = .default) {
        self.dialogID = dialogID
        self.address = address
        self.phone = phone
        self.bottles = bottles
        self.language = language
    }
}
