/// Why a text catalog could not be loaded; the description names the language and key.
public enum ShoroTextsError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingLanguage(ShoroLanguage)
    case invalidJSON(ShoroLanguage, reason: String)
    case missingKey(String, language: ShoroLanguage)
    case unknownPlaceholder(String, key: String, language: ShoroLanguage)
    case missingPlaceholder(String, key: String, language: ShoroLanguage)

    /// A message naming the catalog file, the key and, where relevant, the placeholder.
    public var description: String {
        switch self {
        case .missingLanguage(let language):
            "Shoro texts: no catalog for language '\(language.rawValue)' (\(language.catalogFileName))"
        case .invalidJSON(let language, let reason):
            "Shoro texts: \(language.catalogFileName) is not a flat JSON object of strings: \(reason)"
        case .missingKey(let key, let language):
            "Shoro texts: key '\(key)' is missing in \(language.catalogFileName)"
        case .unknownPlaceholder(let placeholder, let key, let language):
            "Shoro texts: key '\(key)' in \(language.catalogFileName) uses unknown placeholder {\(placeholder)}"
        case .missingPlaceholder(let placeholder, let key, let language):
            "Shoro texts: key '\(key)' in \(language.catalogFileName) lacks placeholder {\(placeholder)}"
        }
    }
}
