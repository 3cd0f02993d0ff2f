/// Phrases a catalog keeps in one text, `|`-separated (`"оператор|позовите человека"`), matched as whole words,
/// case and `ё` folded: "ул. Операторская 5" contains no "оператор".
public struct CatalogPhrases: Sendable {
    /// The phrases (as `ShoroWords.tokens`) by their first word: a text is then checked with one lookup per word
    /// instead of comparing every phrase at every position.
    private var phrasesByFirstWord: [String: [[String]]] = [:]

    public init() {}

    /// Adds the phrases of `text`; false (nothing added) when one of them has no words.
    public mutating func add(_ text: String) -> Bool {
        let phrases = text.split(separator: "|", omittingEmptySubsequences: false).map { ShoroWords.tokens(String($0)) }
        guard !phrases.contains(where: \.isEmpty) else { return false }
        for phrase in phrases {
            self.phrasesByFirstWord[phrase[0], default: []].append(phrase)
        }
        return true
    }

    /// Whether `text` contains one of the phrases.
    public func matches(_ text: String) -> Bool {
        self.matches(words: ShoroWords.tokens(text))
    }

    /// Whether `words` (the `ShoroWords.tokens` of a text) contain one of the phrases.
    func matches(words: [String]) -> Bool {
        words.indices.contains { start in
            self.phrasesByFirstWord[words[start]]?.contains { words[start...].starts(with: $0) } ?? false
        }
    }
}
