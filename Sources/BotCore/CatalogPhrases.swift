/// Phrases a catalog keeps in one text, `|`-separated (`"оператор|позовите человека"`), matched as whole words,
/// case and `ё` folded: "ул. Операторская 5" contains no "оператор".
public struct CatalogPhrases: Sendable {
    private var phrases: [[String]] = []

    public init() {}

    /// Adds the phrases of `text`; false (nothing added) when one of them has no words.
    public mutating func add(_ text: String) -> Bool {
        let phrases = text.split(separator: "|", omittingEmptySubsequences: false).map { ShoroWords.tokens(String($0)) }
        guard !phrases.contains(where: \.isEmpty) else { return false }
        self.phrases += phrases
        return true
    }

    /// Whether `text` contains one of the phrases.
    public func matches(_ text: String) -> Bool {
        let tokens = ShoroWords.tokens(text)
        return self.phrases.contains { ShoroWords.contains(tokens, phrase: $0) }
    }
}
