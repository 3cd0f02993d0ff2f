public import FoundationEssentials

public typealias ShoroTextsError = TextCatalogError<ShoroLanguage>

extension ShoroLanguage: CatalogLanguage {
    public static var catalogName: String { "Shoro texts" }
}

/// The catalog of reply templates in every language, validated when loaded (see `TextCatalog` for the rules).
public struct ShoroTexts: Sendable {
    /// Every key each language file must define.
    public static let requiredKeys: [String] = ShoroReply.samples.map(\.key) + Self.intentKeys.values.sorted()

    /// The words that reveal an intent, `|`-separated phrases per language (e.g. `"оператор|позовите человека"`).
    public static let intentKeys: [ShoroIntent: String] = [.human: "humanRequestPhrases", .orderStatus: "orderStatusPhrases"]

    /// The language the team reads notes in.
    public static let teamLanguage: ShoroLanguage = .ru

    private let catalog: TextCatalog<ShoroLanguage>
    /// Each intent's phrases, from every language: a customer may ask in any of them.
    private let intentPhrases: [(intent: ShoroIntent, phrases: CatalogPhrases)]

    /// Loads one flat JSON object per language; throws naming the first problem.
    public init(json: [ShoroLanguage: Data]) throws(ShoroTextsError) {
        let phraseKeys = Self.intentKeys.values.sorted().map { CatalogKey($0, placeholders: []) }
        self.catalog = try TextCatalog(
            json: json, keys: ShoroReply.samples.map { CatalogKey($0.key, placeholders: $0.placeholderNames) } + phraseKeys)
        var phrases: [(ShoroIntent, CatalogPhrases)] = []
        for (intent, key) in Self.intentKeys.sorted(by: { $0.value < $1.value }) {
            var list = CatalogPhrases()
            for language in ShoroLanguage.allCases where !list.add(self.catalog.template(key, language)) {
                throw .invalidText(key, language: language, rule: "has an empty phrase")
            }
            phrases.append((intent, list))
        }
        self.intentPhrases = phrases
    }

    /// What `text` asks for besides an answer, when it contains one of the catalog's phrases as whole words
    /// ("ул. Операторская 5" asks for nothing).
    public func intent(of text: String) -> ShoroIntent? {
        let words = ShoroWords.tokens(text)
        return self.intentPhrases.first { $0.phrases.matches(words: words) }?.intent
    }

    /// The text of `reply` in `language`, placeholders filled.
    public func render(_ reply: ShoroReply, language: ShoroLanguage) -> String {
        let question = if case .textOnly(let inner) = reply { self.render(inner, language: language) } else { "" }
        return TextTemplate.fill(self.catalog.template(reply.key, language), with: reply.placeholders(question: question))
    }
}
