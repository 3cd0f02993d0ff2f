/// Reads how many bottles a customer wants from free text ("5", "5шт", "пять", "five", "беш").
public enum BottleCount: Sendable {
    /// The smallest and largest order the bot accepts.
    public static let allowed: ClosedRange<Int> = 1...50

    /// What a customer's answer said about the number of bottles.
    public enum Result: Sendable, Equatable {
        case count(Int)
        case outOfRange(Int)
        case unreadable
    }

    /// Parses a bottle count, also inside a sentence ("мне 3 бутылки пожалуйста", "эки бөтөлкө", "two please").
    ///
    /// Digits may be glued to units ("5шт"); a leading minus makes a number negative; a number
    /// followed by a litre unit ("по 19 л") describes the bottle, not the count, and is ignored.
    /// Two different numbers are unreadable unless exactly one of them is followed by a bottle word
    /// ("3 бутылки, дом 95", "2 шт, после 5"), and never when the answer offers a choice ("2 или 3", "2-3 штуки").
    public static func parse(_ text: String) -> Result {
        self.parse(FoldedText(text))
    }

    /// `parse(_:)` of a message already folded.
    static func parse(_ text: FoldedText) -> Result {
        let mentions = self.numbers(in: self.scan(folded: text.folded))
        var numbers = Set(mentions.map(\.value))
        if numbers.count > 1, !self.offersChoice(text) {
            numbers = Set(mentions.filter(\.countsBottles).map(\.value))
        }
        guard numbers.count == 1, let number = numbers.first else { return .unreadable }
        return self.allowed.contains(number) ? .count(number) : .outOfRange(number)
    }

    /// A number in the answer and whether a bottle word ("бутыли", "шт", "бөтөлкө", "bottles") follows it.
    struct Mention: Equatable {
        var value: Int
        var countsBottles: Bool
    }

    /// Whether the answer names alternatives: "или", "either … or", a range like "2-3".
    static func offersChoice(_ text: FoldedText) -> Bool {
        if text.tokens.contains(where: { Self.alternatives.contains($0) }) { return true }
        var sawDigit = false
        var dashAfterDigit = false
        for character in text.text {
            if ShoroWords.isASCIIDigit(character) {
                if dashAfterDigit { return true }
                sawDigit = true
            } else if Self.minusSigns.contains(character) || character == "/" {
                dashAfterDigit = sawDigit
            } else if !character.isWhitespace {
                sawDigit = false
                dashAfterDigit = false
            }
        }
        return false
    }

    // Kyrgyz "же" is "or" ("эки же үч").
    private static let alternatives: Set<String> = ["или", "либо", "or", "же"]

    /// A piece of the answer: a (possibly negative) digit run or a word.
    enum Piece: Equatable {
        case digits(Int?)
        case word(String)
    }

    /// Splits folded text into digit runs and words; digits and letters are split even when glued.
    static func scan(folded: String) -> [Piece] {
        var pieces: [Piece] = []
        var digits = ""
        var word = ""
        var negative = false
        // The two characters before the current one, to tell "-3" from "2-3".
        var previous: Character = " "
        var beforePrevious: Character = " "
        func flush() {
            if !digits.isEmpty {
                let magnitude = digits.count > 9 ? nil : Int(digits)
                pieces.append(.digits(magnitude.map { negative ? -$0 : $0 }))
                digits = ""
                negative = false
            }
            if !word.isEmpty {
                pieces.append(.word(word))
                word = ""
            }
        }
        for character in folded {
            if ShoroWords.isASCIIDigit(character) {
                if !word.isEmpty { flush() }
                if digits.isEmpty {
                    negative =
                        Self.minusSigns.contains(previous)
                        && !(beforePrevious.isLetter || beforePrevious.isNumber)
                }
                digits.append(character)
            } else if character.isLetter {
                if !digits.isEmpty { flush() }
                word.append(character)
            } else {
                flush()
            }
            beforePrevious = previous
            previous = character
        }
        flush()
        return pieces
    }

    private static let minusSigns: Set<Character> = ["-", "\u{2212}", "\u{2013}"]

    /// The numbers mentioned, with number words combined ("двадцать пять" = 25) and litre sizes dropped.
    static func numbers(in pieces: [Piece]) -> [Mention] {
        var numbers: [Mention] = []
        var index = 0
        func mention(_ value: Int, next: Int) -> Mention {
            guard next < pieces.count, case .word(let unit) = pieces[next] else { return Mention(value: value, countsBottles: false) }
            return Mention(value: value, countsBottles: Self.bottleUnits.contains(unit))
        }
        while index < pieces.count {
            let next = index + 1 < pieces.count ? pieces[index + 1] : nil
            switch pieces[index] {
            case .digits(let value):
                if case .word(let unit) = next, Self.litreUnits.contains(unit) {
                    index += 2
                    continue
                }
                // Too many digits to be a count: report it as far out of range.
                numbers.append(mention(value ?? Int.max, next: index + 1))
            case .word(let word):
                guard let value = NumberWords.value(of: word) else { break }
                if NumberWords.takesUnit(word), case .word(let unitWord) = next,
                    let unit = NumberWords.value(of: unitWord), (1...9).contains(unit)
                {
                    numbers.append(mention(value + unit, next: index + 2))
                    index += 2
                    continue
                }
                numbers.append(mention(value, next: index + 1))
            }
            index += 1
        }
        return numbers
    }

    // What a count of bottles is followed by; "л" and "литр" are sizes, not counts.
    private static let bottleUnits: Set<String> = [
        "бутыль", "бутыли", "бутылей", "бутылка", "бутылки", "бутылок", "бутылку", "бутылочки", "баллон", "баллона",
        "баллонов", "шт", "штук", "штуки", "штука", "штуку", "тара", "тары",
        "бөтөлкө", "бөтөлкөнү", "ботолко", "даана",
        "bottle", "bottles", "pcs", "pc", "pieces", "piece", "x",
    ]

    private static let litreUnits: Set<String> = [
        "л", "литр", "литра", "литров", "литровых", "литровые", "литровый", "литрлик", "литрдик",
        "l", "liter", "litre", "liters", "litres", "ltr",
    ]
}
