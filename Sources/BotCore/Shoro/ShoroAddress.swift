/// Validation of a free-text delivery address.
public enum ShoroAddress: Sendable {
    /// Length limits, in characters, after trimming and collapsing whitespace.
    public static let minLength = 5
    public static let maxLength = 200

    /// What the customer's answer to "what is the address?" turned out to be.
    public enum Result: Sendable, Equatable {
        /// A usable address, whitespace collapsed.
        case valid(String)
        case tooShort
        case tooLong
        case noLetters
        /// Only a greeting or "I want to order water": the customer hasn't read the question yet.
        case notAnAddress
    }

    /// Checks an address: 5–200 characters after collapsing whitespace and dropping an introduction
    /// ("Мой адрес: …", "менин дарегим …", "my address is …"), with at least one letter.
    public static func validate(_ text: String) -> Result {
        let address = Self.droppingIntroduction(text.collapsingWhitespace())
        guard address.count >= Self.minLength else { return .tooShort }
        guard address.count <= Self.maxLength else { return .tooLong }
        guard address.contains(where: \.isLetter) else { return .noLetters }
        let tokens = ShoroWords.tokens(address)
        if !tokens.isEmpty, tokens.allSatisfy({ Self.chatter.contains($0) }) {
            return .notAnAddress
        }
        return .valid(address)
    }

    /// `address` without leading "мой адрес:" and the like (repeated ones too, so a stored address reads back the
    /// same); the same text when it has none.
    static func droppingIntroduction(_ address: String) -> String {
        var words = address.split(separator: " ")
        var dropped = true
        while dropped {
            dropped = false
            let folded = words.map { ShoroWords.fold(String($0)).trimmingCharacters(":-—–") }
            for phrase in Self.introductions where folded.starts(with: phrase) && words.count > phrase.count {
                words.removeFirst(phrase.count)
                if let first = words.first, first.allSatisfy({ ":-—–".contains($0) }), words.count > 1 {
                    words.removeFirst()
                }
                dropped = true
                break
            }
        }
        return words.joined(separator: " ")
    }

    // Longest first. Only whole words: "Адресная 5" stays as written.
    private static let introductions: [[String]] = [
        ["мой", "адрес", "доставки"], ["адрес", "доставки"], ["мой", "адрес"], ["наш", "адрес"], ["адрес"],
        ["менин", "дарегим"], ["биздин", "дарек"], ["дарегим"], ["дарек"],
        ["my", "address", "is"], ["the", "address", "is"], ["address", "is"], ["my", "address"], ["address"],
    ]

    // Greetings and order requests people send before reading the question; no street is named so.
    private static let chatter: Set<String> = [
        "здравствуйте", "здраствуйте", "здрасте", "привет", "добрый", "доброе", "день", "вечер", "утро",
        "хочу", "хотел", "хотела", "бы", "заказать", "заказ", "воду", "вода", "воды", "нужна", "нужно",
        "надо", "пожалуйста", "можно", "мне", "я", "нам", "привезите",
        "салам", "саламатсызбы", "саламатсыздарбы", "ассалому", "ассаламу", "алейкум", "суу", "керек",
        "буйрутма", "заказ", "бериңиз", "сураныч",
        "hello", "hi", "hey", "good", "morning", "afternoon", "evening", "i", "want", "would", "like",
        "to", "order", "water", "please", "need",
    ]
}
