/// A parent's name as typed: 2–100 characters of letters, spaces, hyphens, apostrophes and dots.
public struct PersonName: Sendable, Hashable, CustomStringConvertible {
    public static let lengthRange = 2...100

    /// Trimmed, with runs of whitespace collapsed to one space.
    public let value: String

    /// Accepts `Анна`, `Anna-Maria O'Neil`, `Ж. Б.`; rejects digits, emoji, links and single letters.
    public init?(_ raw: String) {
        let text = raw.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard Self.lengthRange.contains(text.count),
            text.allSatisfy({ $0.isLetter || $0 == " " || "-'’.".contains($0) }),
            text.filter(\.isLetter).count >= 2,
            text.first?.isLetter == true
        else { return nil }
        self.value = text
    }

    public var description: String { self.value }
}

extension PersonName {
    /// The name in a reply that introduces it: "меня зовут Анна", "Здравствуйте! Я Анна, спасибо", "Мен Айгерим",
    /// "my name is Anna". nil when no clause holds a name of at most four words (ask again).
    ///
    /// The reply is cut into clauses at `, ; ! ? :` and line breaks; each clause loses an introducing phrase at its
    /// start and greetings or thanks at either end. A clause that had an introduction wins over one that did not, and
    /// two different names are no answer. The value passes `PersonName.init`, like every stored name.
    public static func find(in text: String) -> PersonName? {
        var introduced: [PersonName] = []
        var plain: [PersonName] = []
        for clause in Self.clauses(text) where !clause.hasSuffix("?") {
            var words = clause.split(whereSeparator: \.isWhitespace).map(String.init)
            let hadIntroduction = Self.dropIntroduction(&words)
            Self.dropCourtesies(&words)
            if let last = words.last, last.count > 2, last.hasSuffix(".") {
                words[words.count - 1] = String(last.dropLast())  // the full stop of a sentence, not an initial
            }
            guard (1...Self.maximumWords).contains(words.count),
                !words.contains(where: { Self.notNames.contains(Self.bare($0)) }),
                let name = PersonName(words.joined(separator: " "))
            else { continue }
            if hadIntroduction { introduced.append(name) } else { plain.append(name) }
        }
        let names = introduced.isEmpty ? plain : introduced
        return Set(names.map(\.value)).count == 1 ? names.first : nil
    }

    private static let maximumWords = 4

    /// `text` cut after each clause break, the break kept (a question is no answer: "Сколько длится урок?").
    private static func clauses(_ text: String) -> [Substring] {
        var clauses: [Substring] = []
        var start = text.startIndex
        for index in text.indices where Self.clauseBreaks.contains(text[index]) || text[index].isNewline {
            clauses.append(text[start...index].dropLast(text[index] == "?" ? 0 : 1))
            start = text.index(after: index)
        }
        clauses.append(text[start...])
        return clauses
    }

    // Not ".": "Ж. Б." is a name. "-" neither: "Анна-Мария".
    private static let clauseBreaks: Set<Character> = [",", ";", "!", "?", ":", "—", "–"]

    /// Removes the longest introducing phrase at the start of `words`; whether there was one.
    private static func dropIntroduction(_ words: inout [String]) -> Bool {
        let folded = words.map(ShoroWords.fold)
        for phrase in Self.introductions where folded.starts(with: phrase) {
            words.removeFirst(phrase.count)
            return true
        }
        return false
    }

    /// Removes greetings, thanks and fillers at both ends of `words`.
    private static func dropCourtesies(_ words: inout [String]) {
        while let first = words.first, Self.courtesies.contains(Self.bare(first)) { words.removeFirst() }
        while let last = words.last, Self.courtesies.contains(Self.bare(last)) { words.removeLast() }
    }

    /// A folded word without the punctuation around it.
    private static func bare(_ word: String) -> String {
        ShoroWords.fold(word).trimmingCharacters(".!?…-")
    }

    // Longest first, so "меня зовут" is removed whole rather than leaving "зовут".
    private static let introductions: [[String]] = [
        ["меня", "зовут"], ["моё", "имя"], ["мое", "имя"], ["зовите", "меня"], ["называйте", "меня"], ["это"],
        ["я"], ["имя"], ["менин", "атым"], ["менин", "ысмым"], ["атым"], ["ысмым"], ["мен"],
        ["my", "name", "is"], ["my", "names"], ["name", "is"], ["i", "am"], ["im"], ["this", "is"], ["call", "me"],
        ["name"], ["its"], ["зовут"],
    ].map { $0.map(ShoroWords.fold) }.sorted { $0.count > $1.count }

    // Words of a sentence about the name rather than the name ("не спрашивайте", "мама Саши").
    private static let notNames: Set<String> = [
        "не", "нет", "хочу", "зовут", "имя", "меня", "мне", "мой", "моя", "мама", "папа", "сын", "сына", "дочь",
        "дочери", "ребенок", "ребенка", "и", "а", "или", "но", "жок", "эмес", "апа", "ата", "атым",
        "the", "is", "my", "not", "and", "or", "dont", "want", "mom", "dad", "son", "daughter", "name",
        // Questions without their question mark.
        "сколько", "как", "когда", "где", "что", "почему", "зачем", "какой", "какая", "можно", "канча", "качан",
        "кайда", "эмне", "кандай", "what", "how", "when", "where", "why", "which", "can",
    ]

    private static let courtesies: Set<String> = [
        "здравствуйте", "здраствуйте", "привет", "добрый", "день", "вечер", "утро", "доброе", "спасибо",
        "пожалуйста", "салам", "саламатсызбы", "рахмат", "hello", "hi", "thanks", "thank", "you", "please", "ok",
        "ок", "да", "yes", "ооба",
    ]
}
