public import FoundationEssentials

/// The academy's text catalogs in every language, validated when loaded.
public typealias AcademyTextsError = TextCatalogError<AcademyLanguage>

extension AcademyLanguage: CatalogLanguage {
    public static var catalogName: String { "Academy texts" }
}

extension TextCatalogError where Language == AcademyLanguage {
    /// `weekdays` must hold exactly seven names.
    public static func invalidWeekdays(_ language: AcademyLanguage) -> Self {
        .invalidText(AcademyTextKey.weekdays.rawValue, language: language, rule: "must be seven space-separated names")
    }
}

/// The academy's text catalogs in every language, validated when loaded (see `TextCatalog` for the rules).
public struct AcademyTexts: Sendable {
    private let catalog: TextCatalog<AcademyLanguage>
    /// `humanRequestPhrases` of every language: a parent may ask for a person in either.
    private let humanRequest: CatalogPhrases

    /// Loads one flat JSON object of strings per language; throws naming the first problem.
    public init(json: [AcademyLanguage: Data]) throws(AcademyTextsError) {
        let catalog = try TextCatalog(
            json: json, keys: AcademyTextKey.allCases.map { CatalogKey($0.rawValue, placeholders: $0.placeholders) })
        for language in AcademyLanguage.allCases where Self.words(catalog.template(AcademyTextKey.weekdays.rawValue, language)).count != 7 {
            throw .invalidWeekdays(language)
        }
        var humanRequest = CatalogPhrases()
        for language in AcademyLanguage.allCases
        where !humanRequest.add(catalog.template(AcademyTextKey.humanRequestPhrases.rawValue, language)) {
            throw .invalidText(AcademyTextKey.humanRequestPhrases.rawValue, language: language, rule: "has an empty phrase")
        }
        self.humanRequest = humanRequest
        self.catalog = catalog
    }

    /// Whether the parent asks for a person ("позовите менеджера", "I want to talk to a human").
    public func isHumanRequest(_ text: String) -> Bool { self.humanRequest.matches(text) }

    /// The text of `key` in `language` with its placeholders filled from `values`.
    public func render(_ key: AcademyTextKey, _ language: AcademyLanguage, _ values: [String: String] = [:]) -> String {
        TextTemplate.fill(self.catalog.template(key.rawValue, language), with: values)
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
