/// Guesses which language a customer's message is written in.
public enum LanguageDetector: Sendable {
    /// A guess and whether the text clearly belongs to that language (a known word or Kyrgyz letter)
    /// rather than merely being written in its script, like a street name.
    public struct Guess: Sendable, Equatable {
        public var language: ShoroLanguage
        public var isClear: Bool

        /// Creates a guess.
        public init(language: ShoroLanguage, isClear: Bool) {
            self.language = language
            self.isClear = isClear
        }
    }

    /// Kyrgyz letters or words mean Kyrgyz; Latin without Cyrillic means English; other Cyrillic means
    /// Russian; text without letters (digits, punctuation, emoji) gives nil and keeps the current language.
    public static func guess(_ text: String) -> Guess? {
        self.guess(FoldedText(text))
    }

    /// `guess(_:)` of a message already folded.
    static func guess(_ text: FoldedText) -> Guess? {
        if Self.hasKyrgyzLetter(text.folded) || text.tokens.contains(where: { Self.kyrgyzWords.contains($0) }) {
            return Guess(language: .ky, isClear: true)
        }
        let (hasLatin, hasCyrillic) = ShoroWords.scripts(text.folded)
        if hasLatin && !hasCyrillic {
            return Guess(language: .en, isClear: text.tokens.contains(where: { Self.englishWords.contains($0) }))
        }
        if hasCyrillic {
            return Guess(language: .ru, isClear: text.tokens.contains(where: { Self.russianWords.contains($0) }))
        }
        return nil
    }

    /// The language to talk in after `text`: any guess while nothing was known, afterwards only a clear one.
    public static func next(after text: String, current: ShoroLanguage, settled: Bool) -> ShoroLanguage {
        self.next(after: self.guess(text), current: current, settled: settled)
    }

    /// `next(after:current:settled:)` for a message already guessed.
    static func next(after guess: Guess?, current: ShoroLanguage, settled: Bool) -> ShoroLanguage {
        guard let guess else { return current }
        return !settled || guess.isClear ? guess.language : current
    }

    /// Whether `folded` has a Kyrgyz letter as a `Character` of its own (not one carrying a combining mark).
    private static func hasKyrgyzLetter(_ folded: String) -> Bool {
        // None of the letters has a decomposed form, so text without their scalars has none of them; the slower
        // `Character` comparison only runs on text that does.
        folded.unicodeScalars.contains { Self.kyrgyzScalars.contains($0) }
            && folded.contains { Self.kyrgyzLetters.contains($0) }
    }

    private static let kyrgyzLetters: Set<Character> = ["ң", "ө", "ү"]
    private static let kyrgyzScalars: [Unicode.Scalar] = ["ң", "ө", "ү"]

    private static let kyrgyzWords: Set<String> = [
        "салам", "саламатсызбы", "саламатсыздарбы", "ооба", "жок", "рахмат", "керек", "суу",
        "макул", "туура", "эмес", "жакшы", "сураныч", "суранам", "канча", "мага", "менин", "дарек",
        "дарегим", "бөтөлкө", "бир", "эки", "беш", "алты", "жети", "сегиз", "тогуз", "жыйырма",
        "отуз", "кырк", "токтот", "кайра", "баштоо", "жокко", "чыгаруу", "албетте", "жарайт", "болот", "даана",
    ]

    // Conversation words only: "адрес", "телефон" and "номер" are used in Kyrgyz speech too.
    private static let russianWords: Set<String> = [
        "да", "нет", "не", "здравствуйте", "здраствуйте", "привет", "добрый", "доброе", "пожалуйста",
        "спасибо", "хочу", "нужно", "нужна", "надо", "можно", "верно", "правильно", "конечно", "хорошо",
        "ага", "отмена", "отменить", "стоп", "заново", "сначала", "заказ", "заказать", "воду", "вода",
        "воды", "бутыль", "бутыли", "бутылей", "бутылки", "штук", "штуки", "подтверждаю", "один", "одну",
        "два", "две", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять", "десять", "двадцать",
        "тридцать", "сорок", "пятьдесят", "изменить", "количество",
    ]

    // Deliberately without "ok": Russian speakers type it in Latin too.
    private static let englishWords: Set<String> = [
        "hello", "hi", "hey", "good", "morning", "evening", "please", "thanks", "thank", "yes", "yeah",
        "yep", "yup", "no", "nope", "not", "sure", "correct", "confirm", "wrong", "cancel", "stop",
        "restart", "start", "over", "water", "bottle", "bottles", "want", "need", "order", "deliver",
        "delivery", "street", "avenue", "apartment", "flat", "the", "my", "is", "i", "to", "and",
        "change", "address", "phone", "number", "one", "two", "three", "four", "five", "six", "seven",
        "eight", "nine", "ten", "twenty", "thirty", "forty", "fifty",
    ]
}
