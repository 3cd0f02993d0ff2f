public import FoundationEssentials

public typealias ShoroTextsError = TextCatalogError<ShoroLanguage>

extension ShoroLanguage: CatalogLanguage {
    public static var catalogName: String { "Shoro texts" }
}

/// The catalog of reply templates in every language, validated when loaded (see `TextCatalog` for the rules).
public struct ShoroTexts: Sendable {
    /// Every key each language file must define.
    public static let requiredKeys: [String] = ShoroReply.samples.map(\.key)

    private let catalog: TextCatalog<ShoroLanguage>

    /// Loads one flat JSON object per language; throws naming the first problem.
    public init(json: [ShoroLanguage: Data]) throws(ShoroTextsError) {
        self.catalog = try TextCatalog(
            json: json, keys: ShoroReply.samples.map { CatalogKey($0.key, placeholders: $0.placeholderNames) })
    }

    /// The text of `reply` in `language`, placeholders filled.
    public func render(_ reply: ShoroReply, language: ShoroLanguage) -> String {
        let question = if case .textOnly(let inner) = reply { self.render(inner, language: language) } else { "" }
        return TextTemplate.fill(self.catalog.template(reply.key, language), with: reply.placeholders(question: question))
    }
}
