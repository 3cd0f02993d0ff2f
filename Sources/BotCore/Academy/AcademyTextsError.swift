/// Why the academy text catalogs could not be loaded; the description names the file and key.
public enum AcademyTextsError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingLanguage(AcademyLanguage)
    case invalidJSON(AcademyLanguage, reason: String)
    case missingKey(String, language: AcademyLanguage)
    case unknownKey(String, language: AcademyLanguage)
    case emptyText(String, language: AcademyLanguage)
    case unknownPlaceholder(String, key: String, language: AcademyLanguage)
    case missingPlaceholder(String, key: String, language: AcademyLanguage)
    /// `weekdays` must hold exactly seven names.
    case invalidWeekdays(AcademyLanguage)

    /// A message naming the catalog file, the key and, where relevant, the placeholder.
    public var description: String {
        switch self {
        case .missingLanguage(let language):
            "Academy texts: no catalog for language '\(language.rawValue)' (\(language.catalogFileName))"
        case .invalidJSON(let language, let reason):
            "Academy texts: \(language.catalogFileName) is not a flat JSON object of strings: \(reason)"
        case .missingKey(let key, let language):
            "Academy texts: key '\(key)' is missing in \(language.catalogFileName)"
        case .unknownKey(let key, let language):
            "Academy texts: key '\(key)' in \(language.catalogFileName) is not used by the bot (a typo?)"
        case .emptyText(let key, let language):
            "Academy texts: key '\(key)' in \(language.catalogFileName) is empty"
        case .unknownPlaceholder(let placeholder, let key, let language):
            "Academy texts: key '\(key)' in \(language.catalogFileName) uses unknown placeholder {\(placeholder)}"
        case .missingPlaceholder(let placeholder, let key, let language):
            "Academy texts: key '\(key)' in \(language.catalogFileName) lacks placeholder {\(placeholder)}"
        case .invalidWeekdays(let language):
            "Academy texts: 'weekdays' in \(language.catalogFileName) must be seven space-separated names"
        }
    }
}
