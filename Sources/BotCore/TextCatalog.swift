public import FoundationEssentials

/// A language with a catalog file of its own (`shoro.ru.json`, `academy.en.json`).
public protocol CatalogLanguage: RawRepresentable<String>, Hashable, CaseIterable, Sendable {
    /// The catalog's name in error messages, e.g. "Shoro texts".
    static var catalogName: String { get }
    var catalogFileName: String { get }
}

/// One key a catalog must define and the `{name}` placeholders its text must use, no more and no fewer.
public struct CatalogKey: Sendable {
    public let name: String
    public let placeholders: Set<String>

    public init(_ name: String, placeholders: Set<String>) {
        self.name = name
        self.placeholders = placeholders
    }
}

/// The text templates of a bot in every language, checked the same way for both bots when they are loaded: every
/// language is a flat JSON object of strings; every key is present and not empty; no key is one the bot does not
/// know (a misspelt key cannot hide behind the real one); each text uses exactly its key's placeholders, so a
/// translation cannot silently drop the address from an order summary.
public struct TextCatalog<Language: CatalogLanguage>: Sendable {
    private let templates: [Language: [String: String]]

    public init(json: [Language: Data], keys: [CatalogKey]) throws(TextCatalogError<Language>) {
        let known = Set(keys.map(\.name))
        var templates: [Language: [String: String]] = [:]
        for language in Language.allCases {
            guard let data = json[language] else { throw .missingLanguage(language) }
            let catalog: [String: String]
            do {
                catalog = try JSONDecoder().decode([String: String].self, from: data)
            } catch {
                throw .invalidJSON(language, reason: String(describing: error))
            }
            if let unknown = catalog.keys.filter({ !known.contains($0) }).sorted().first {
                throw .unknownKey(unknown, language: language)
            }
            for key in keys {
                guard let template = catalog[key.name] else { throw .missingKey(key.name, language: language) }
                guard !template.trimmingWhitespace().isEmpty else { throw .emptyText(key.name, language: language) }
                let used = TextTemplate.placeholders(in: template)
                if let unknown = used.subtracting(key.placeholders).sorted().first {
                    throw .unknownPlaceholder(unknown, key: key.name, language: language)
                }
                if let missing = key.placeholders.subtracting(used).sorted().first {
                    throw .missingPlaceholder(missing, key: key.name, language: language)
                }
            }
            templates[language] = catalog
        }
        self.templates = templates
    }

    /// The template of `key` in `language`. `init` guarantees every key in every language, so the fallback (the key
    /// itself) is never used for a key it was given.
    public func template(_ key: String, _ language: Language) -> String {
        self.templates[language]?[key] ?? key
    }
}

/// Why a catalog was refused; each message names the catalog file, the key and, where relevant, the placeholder.
public enum TextCatalogError<Language: CatalogLanguage>: Error, Sendable, Equatable, CustomStringConvertible {
    case missingLanguage(Language)
    case invalidJSON(Language, reason: String)
    case missingKey(String, language: Language)
    case unknownKey(String, language: Language)
    case emptyText(String, language: Language)
    case unknownPlaceholder(String, key: String, language: Language)
    case missingPlaceholder(String, key: String, language: Language)
    /// A text breaks a rule of its own, e.g. `weekdays` must hold seven names.
    case invalidText(String, language: Language, rule: String)

    public var description: String {
        let name = Language.catalogName
        return switch self {
        case .missingLanguage(let language):
            "\(name): no catalog for language '\(language.rawValue)' (\(language.catalogFileName))"
        case .invalidJSON(let language, let reason):
            "\(name): \(language.catalogFileName) is not a flat JSON object of strings: \(reason)"
        case .missingKey(let key, let language):
            "\(name): key '\(key)' is missing in \(language.catalogFileName)"
        case .unknownKey(let key, let language):
            "\(name): key '\(key)' in \(language.catalogFileName) is not used by the bot (a typo?)"
        case .emptyText(let key, let language):
            "\(name): key '\(key)' in \(language.catalogFileName) is empty"
        case .unknownPlaceholder(let placeholder, let key, let language):
            "\(name): key '\(key)' in \(language.catalogFileName) uses unknown placeholder {\(placeholder)}"
        case .missingPlaceholder(let placeholder, let key, let language):
            "\(name): key '\(key)' in \(language.catalogFileName) lacks placeholder {\(placeholder)}"
        case .invalidText(let key, let language, let rule):
            "\(name): '\(key)' in \(language.catalogFileName) \(rule)"
        }
    }
}
