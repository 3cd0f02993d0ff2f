/// A customer message with its folded form and words, worked out once for all the parsers that read it.
struct FoldedText {
    /// The message as written.
    let text: String
    /// `ShoroWords.fold(text)`.
    let folded: String
    /// `ShoroWords.tokens(text)`.
    let tokens: [String]

    /// Folds and tokenises `text`.
    init(_ text: String) {
        self.text = text
        self.folded = ShoroWords.fold(text)
        self.tokens = ShoroWords.words(inFolded: self.folded)
    }
}
