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

    /// Checks an address: 5–200 characters after collapsing whitespace, with at least one letter.
    public static func validate(_ text: String) -> Result {
        let address = text.collapsingWhitespace()
        guard address.count >= Self.minLength else { return .tooShort }
        guard address.count <= Self.maxLength else { return .tooLong }
        guard address.contains(where: \.isLetter) else { return .noLetters }
        let tokens = ShoroWords.tokens(address)
        if !tokens.isEmpty, tokens.allSatisfy({ Self.chatter.contains($0) }) {
            return .notAnAddress
        }
        return .valid(address)
    }

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
