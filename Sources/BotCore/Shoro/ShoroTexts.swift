public import FoundationEssentials

/// The catalog of reply templates in every language, validated when loaded.
public struct ShoroTexts: Sendable {
    /// Every key each language file must define.
    public static let requiredKeys: [String] = ShoroReply.samples.map(\.key)

    private let templates: [ShoroLanguage: [String: String]]

    /// Loads one flat JSON object per language; throws naming the first missing key or bad placeholder.
    ///
    /// Each template must use exactly its reply's placeholders, so a translation can't silently drop
    /// the address from the summary. Extra keys are ignored.
    public init(json: [ShoroLanguage: Data]) throws(ShoroTextsError) {
        var templates: [ShoroLanguage: [String: String]] = [:]
        for language in ShoroLanguage.allCases {
            guard let data = json[language] else { throw .missingLanguage(language) }
            let catalog: [String: String]
            do {
                catalog = try JSONDecoder().decode([String: String].self, from: data)
            } catch {
                throw .invalidJSON(language, reason: String(describing: error))
            }
            for sample in ShoroReply.samples {
                guard let template = catalog[sample.key] else { throw .missingKey(sample.key, language: language) }
                let used = TextTemplate.placeholders(in: template)
                let expected = sample.placeholderNames
                if let unknown = used.subtracting(expected).sorted().first {
                    throw .unknownPlaceholder(unknown, key: sample.key, language: language)
                }
                if let missing = expected.subtracting(used).sorted().first {
                    throw .missingPlaceholder(missing, key: sample.key, language: language)
                }
            }
            templates[language] = catalog
        }
        self.templates = templates
    }

    /// The text of `reply` in `language`, placeholders filled.
    public func render(_ reply: ShoroReply, language: ShoroLanguage) -> String {
        let question = if case .textOnly(let inner) = reply { self.render(inner, language: language) } else { "" }
        // `init` guarantees every key in every language, so the fallback is never used.
        let template = self.templates[language]?[reply.key] ?? reply.key
        return TextTemplate.fill(template, with: reply.placeholders(question: question))
    }
}
