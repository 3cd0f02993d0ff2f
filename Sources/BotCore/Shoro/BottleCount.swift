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

    /// Parses a bottle count; two different numbers in one answer are unreadable.
    ///
    /// Digits may be glued to units ("5шт"); a leading minus makes a number negative; a number
    /// followed by a litre unit ("по 19 л") describes the bottle, not the count, and is ignored.
    public static func parse(_ text: String) -> Result {
        let numbers = Set(self.numbers(in: self.scan(text)))
        guard numbers.count == 1, let number = numbers.first else { return .unreadable }
        return self.allowed.contains(number) ? .count(number) : .outOfRange(number)
    }

    /// A piece of the answer: a (possibly negative) digit run or a word.
    enum Piece: Equatable {
        case digits(Int?)
        case word(String)
    }

    /// Splits text into digit runs and words; digits and letters are split even when glued.
    static func scan(_ text: String) -> [Piece] {
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
        for character in ShoroWords.fold(text) {
            if ShoroWords.isASCIIDigit(character) {
                if !word.isEmpty { flush() }
                if digits.isEmpty {
                    negative = Self.minusSigns.contains(previous)
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
    static func numbers(in pieces: [Piece]) -> [Int] {
        var numbers: [Int] = []
        var index = 0
        while index < pieces.count {
            let next = index + 1 < pieces.count ? pieces[index + 1] : nil
            switch pieces[index] {
            case .digits(let value):
                if case .word(let unit) = next, Self.litreUnits.contains(unit) {
                    index += 2
                    continue
                }
                // Too many digits to be a count: report it as far out of range.
                numbers.append(value ?? Int.max)
            case .word(let word):
                guard let value = NumberWords.value(of: word) else { break }
                if NumberWords.takesUnit(word), case .word(let unitWord) = next,
                   let unit = NumberWords.value(of: unitWord), (1...9).contains(unit) {
                    numbers.append(value + unit)
                    index += 2
                    continue
                }
                numbers.append(value)
            }
            index += 1
        }
        return numbers
    }

    private static let litreUnits: Set<String> = [
        "л", "литр", "литра", "литров", "литровых", "литровые", "литровый", "литрлик", "литрдик",
        "l", "liter", "litre", "liters", "litres", "ltr",
    ]
}
