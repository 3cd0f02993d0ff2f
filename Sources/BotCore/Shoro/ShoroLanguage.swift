/// A language the Shoro bot can talk in; Russian is the default.
public enum ShoroLanguage: String, Sendable, Codable, CaseIterable {
    case ru, ky, en

    /// The language used before the customer has written anything readable.
    public static let `default`: ShoroLanguage = .ru

    /// The catalog file name for this language, e.g. `shoro.ru.json`.
    public var catalogFileName: String { "shoro.\(self.rawValue).json" }
}
