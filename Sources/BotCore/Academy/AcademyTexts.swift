public import FoundationEssentials

/// The academy's text catalogs in every language, validated when loaded.
public struct AcademyTexts: Sendable {
    private let templates: [AcademyLanguage: [AcademyTextKey: String]]

    /// Loads one flat JSON object of strings per language.
    ///
    /// Every `AcademyTextKey` must be present, non-empty and use exactly its placeholders; keys the
    /// bot doesn't know are rejected too, so a misspelt key can't hide a missing one.
    public init(json: [AcademyLanguage: Data]) throws(AcademyTextsError) {
        var templates: [AcademyLanguage: [AcademyTextKey: String]] = [:]
        for language in AcademyLanguage.allCases {
            guard let data = json[language] else { throw .missingLanguage(language) }
            let catalog: [String: String]
            do {
                catalog = try JSONDecoder().decode([String: String].self, from: data)
            } catch {
                throw .invalidJSON(language, reason: String(describing: error))
            }
            if let unknown = catalog.keys.filter({ AcademyTextKey(rawValue: $0) == nil }).sorted().first {
                throw .unknownKey(unknown, language: language)
            }
            var checked: [AcademyTextKey: String] = [:]
            for key in AcademyTextKey.allCases {
                guard let template = catalog[key.rawValue] else { throw .missingKey(key.rawValue, language: language) }
                guard !template.trimmingWhitespace().isEmpty else { throw .emptyText(key.rawValue, language: language) }
                let used = TextTemplate.placeholders(in: template)
                if let unknown = used.subtracting(key.placeholders).sorted().first {
                    throw .unknownPlaceholder(unknown, key: key.rawValue, language: language)
                }
                if let missing = key.placeholders.subtracting(used).sorted().first {
                    throw .missingPlaceholder(missing, key: key.rawValue, language: language)
                }
                checked[key] = template
            }
            if Self.words(checked[.weekdays] ?? "").count != 7 { throw .invalidWeekdays(language) }
            templates[language] = checked
        }
        self.templates = templates
    }

    /// The text of `key` in `language` with its placeholders filled from `values`.
    public func render(_ key: AcademyTextKey, _ language: AcademyLanguage, _ values: [String: String] = [:]) -> String {
        // `init` guarantees every key in every language, so the fallback is never used.
        TextTemplate.fill(self.templates[language]?[key] ?? key.rawValue, with: values)
    }

    /// A message ready to send: the rendered text with its key and markup.
    public func message(
        _ key: AcademyTextKey,
        _ language: AcademyLanguage,
        _ values: [String: String] = [:],
        markup: ReplyMarkup? = nil
    ) -> AcademyMessage {
        AcademyMessage(key: key, text: self.render(key, language, values), markup: markup)
    }

    /// Short weekday names, Monday first.
    public func weekdays(_ language: AcademyLanguage) -> [String] {
        Self.words(self.render(.weekdays, language))
    }

    private static func words(_ text: String) -> [String] {
        text.split(whereSeparator: \.isWhitespace).map(String.init)
    }
}
