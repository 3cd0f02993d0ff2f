/// A yes/no answer in Russian, Kyrgyz or English.
public enum YesNo: String, Sendable, Equatable, Codable {
    case yes, no

    /// Reads a yes/no answer; any negation makes it `.no`, so "не верно" is never a yes.
    ///
    /// A "but" ("да, но адрес другой") also reads as `.no`: the customer wants something changed.
    /// Long messages and messages without a known answer word are nil (ask again).
    public static func parse(_ text: String) -> YesNo? {
        self.parse(FoldedText(text))
    }

    /// `parse(_:)` of a message already folded.
    static func parse(_ folded: FoldedText) -> YesNo? {
        let text = folded.text
        let trimmed = text.trimmingWhitespace()
        if !trimmed.isEmpty, trimmed.allSatisfy({ $0 == "+" }) { return .yes }
        if !trimmed.isEmpty, trimmed.allSatisfy({ $0 == "-" }) { return .no }

        let emoji = Set(text.unicodeScalars.map(\.value))
        let tokens = folded.tokens
        if tokens.contains(where: { Self.negations.contains($0) || Self.contrasts.contains($0) })
            || !emoji.isDisjoint(with: Self.noEmoji)
        {
            return .no
        }
        guard tokens.count <= Self.maximumWords else { return nil }
        if tokens.contains(where: { Self.affirmations.contains($0) })
            || Self.affirmativePhrases.contains(where: { ShoroWords.contains(tokens, phrase: $0) })
            || !emoji.isDisjoint(with: Self.yesEmoji)
        {
            return .yes
        }
        return nil
    }

    // A longer message is probably saying something else; asking again is safer than guessing.
    private static let maximumWords = 10

    private static let negations: Set<String> = [
        // Russian, including "да нет" which means no.
        "нет", "не", "неа", "нету", "ни", "неверно", "неправильно", "ошибка", "ошибся", "ошиблась",
        "изменить", "исправить", "поменять", "другой", "другая", "другое",
        // Kyrgyz: "туура эмес" (not right), "керек эмес" (not needed), "болбойт" (won't do).
        "жок", "эмес", "болбойт", "өзгөртүү",
        // English, with apostrophes already dropped ("don't" -> "dont").
        "no", "n", "not", "nope", "nah", "wrong", "incorrect", "dont", "doesnt", "isnt", "never", "change",
        // Transliterated Russian/Kyrgyz typed on a Latin keyboard.
        "net", "jok", "zhok",
    ]

    private static let contrasts: Set<String> = ["но", "однако", "but", "however", "бирок"]

    private static let affirmations: Set<String> = [
        // Russian.
        "да", "ага", "угу", "конечно", "верно", "правильно", "подтверждаю", "подтвердить", "подтверждено",
        "ок", "окей", "хорошо", "давай", "давайте", "точно", "согласен", "согласна", "именно", "отлично",
        "подходит", "годится", "норм", "привозите", "везите",
        // Kyrgyz.
        "ооба", "макул", "туура", "албетте", "жарайт", "болот",
        // English.
        "yes", "y", "yep", "yeah", "yup", "ya", "sure", "correct", "confirm", "confirmed",
        "ok", "okay", "right", "alright", "fine", "perfect", "good", "great",
        // Transliterated.
        "da", "davai", "ooba", "makul",
    ]

    private static let affirmativePhrases: [[String]] = [["все", "так"], ["баары", "туура"]]

    private static let yesEmoji: Set<UInt32> = [0x1F44D, 0x1F44C, 0x2705, 0x2714]  // 👍 👌 ✅ ✔
    private static let noEmoji: Set<UInt32> = [0x1F44E, 0x274C, 0x2716]  // 👎 ❌ ✖
}
