/// A command the customer can give in any state of the dialog.
public enum ShoroCommand: String, Sendable, Equatable {
    case cancel, restart

    /// Recognises a message that is only a command, optionally with polite filler ("отменить заказ, пожалуйста").
    ///
    /// The whole message must be the command so an address like "ул. Стоп-Сигнальная" is not a cancel.
    public static func parse(_ text: String) -> ShoroCommand? {
        self.parse(FoldedText(text))
    }

    /// `parse(_:)` of a message already folded.
    static func parse(_ text: FoldedText) -> ShoroCommand? {
        let tokens = text.tokens.filter { !Self.filler.contains($0) }
        guard !tokens.isEmpty else { return nil }
        if Self.cancelPhrases.contains(tokens) { return .cancel }
        if Self.restartPhrases.contains(tokens) { return .restart }
        return nil
    }

    private static let cancelPhrases: Set<[String]> = [
        ["отмена"], ["отменить"], ["отменяю"], ["отмените"], ["стоп"], ["cancel"], ["stop"],
        ["жокко", "чыгаруу"], ["жокко", "чыгар"], ["жокко", "чыгарыңыз"], ["токтот"], ["токтотуу"],
    ]

    // "start" covers the Telegram "/start" command.
    private static let restartPhrases: Set<[String]> = [
        ["start"], ["restart"], ["start", "over"], ["заново"], ["начать", "заново"], ["сначала"],
        ["начать", "сначала"], ["кайра", "баштоо"], ["кайрадан", "баштоо"], ["кайра", "башта"],
    ]

    private static let filler: Set<String> = [
        "пожалуйста", "заказ", "заказа", "мой", "плиз", "please", "pls", "order", "my", "the",
        "буйрутма", "буйрутманы", "сураныч", "суранам",
    ]
}
