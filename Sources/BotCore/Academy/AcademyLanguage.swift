/// A language the academy bot talks in: Russian by default, English for `en*` clients.
public enum AcademyLanguage: String, Sendable, Codable, CaseIterable {
    case ru, en

    /// The language used when the client sends no (or an unsupported) language code.
    public static let `default`: AcademyLanguage = .ru

    /// Chooses from Telegram's `language_code` (an IETF tag such as `en`, `en-GB`, `ru`, `uk`).
    public init(languageCode: String?) {
        self = (languageCode?.lowercased() ?? "").hasPrefix("en") ? .en : .default
    }

    /// The catalog file name for this language, e.g. `academy.ru.json`.
    public var catalogFileName: String { "academy.\(self.rawValue).json" }
}
