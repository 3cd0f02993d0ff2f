import Testing

@testable import BotCore

/// `ShoroWords` folds and splits most text one scalar at a time; these tests hold it to the `Character`-based
/// algorithm it replaced, copied here unchanged so an edit to the library's own fallback can't move both.
@Suite struct ShoroWordsTests {
    static func referenceFold(_ text: String) -> String {
        var folded = ""
        for character in text.lowercased() {
            switch character {
            case "ё": folded.append("е")
            case "'", "’", "`", "ʼ": continue
            default: folded.append(character)
            }
        }
        return folded
    }

    static func referenceTokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        for character in Self.referenceFold(text) {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if !current.isEmpty {
                tokens.append(current)
                current = ""
            }
        }
        if !current.isEmpty {
            tokens.append(current)
        }
        return tokens
    }

    /// Every scalar the fast path claims.
    static let fastScalars: [Unicode.Scalar] = ShoroWords.fastRanges.flatMap { $0.compactMap(Unicode.Scalar.init) }

    static let corpus: [String] = [
        "", " ", "Здравствуйте, хочу заказать воду", "ул. Киевская 95, кв 3", "+996 555 123 456", "3", "да",
        "Саламатсызбы, суу керек", "Чүй проспекти 120, үй 5", "ЭКИ БӨТӨЛКӨ", "Ооба", "ҢӨҮ ңөү",
        "Hello, I want to order water", "Manas avenue 45, apt 12", "two bottles please", "YES",
        // Decomposed and precomposed й and ё, upper and lower case.
        "зай\u{0306}ти", "заи\u{0306}ти", "ЗАИ\u{0306}ТИ", "Ёлка", "ёлка", "е\u{0308}лка", "Е\u{0308}ЛКА", "ё\u{0301}",
        // Apostrophes, and U+1FEF, which is canonically a backtick.
        "Don't", "don’t", "don`t", "donʼt", "don\u{1FEF}t", "'ok'", "‘quoted’", "ʼ", "'\u{0301}",
        // Emoji: single, skin tone, keycap, flag, ZWJ family, presentation selector.
        "да 👍", "👍🏽ок", "1️⃣ 2️⃣", "🇰🇬 Бишкек", "👨‍👩‍👧 семья", "✔️", "❤\u{FE0F}",
        // Digits of other scripts, superscripts, fractions.
        "٣ бутыли", "३", "３ шт", "x²", "½ литра", "Ⅻ",
        // Mixed scripts, Turkish dotted I (lower-cases to two scalars), Greek, CJK, Hangul jamo.
        "Manas 12 Чүй", "İstanbul", "ΣΊΣΥΦΟΣ;", "水 3", "\u{1100}\u{1161}\u{11A8}", "ﬁle",
        // Kyrgyz letters carrying a combining mark are other characters.
        "ң\u{0301}", "ө\u{0308}", "Ү\u{0301}",
        // Line breaks, tabs, non-breaking and zero-width spaces, a soft hyphen, controls.
        "да\r\nнет", "да\nнет\tок", "кв\u{00A0}3", "а\u{200B}б", "до\u{00AD}м", "а\u{200D}б", "\u{0000}а",
        "ул. «Токтогула» — 12/1, кв. №5…", "5−3", "а-б–в—г",
    ]

    @Test(arguments: Self.corpus)
    func foldsAndTokenisesLikeTheCharacterAlgorithm(text: String) {
        Self.expectSameAsReference(text)
    }

    @Test func everyFastScalarAloneAndWithNeighboursMatchesTheReference() {
        for scalar in Self.fastScalars {
            let alone = String(scalar)
            Self.expectSameAsReference(alone)
            Self.expectSameAsReference("a" + alone + "б")
            Self.expectSameAsReference(alone + "\u{0306}")
        }
    }

    @Test func randomTextMatchesTheReference() {
        // Fast scalars mixed with a few that force the `Character` path; a fixed seed keeps failures reproducible.
        let alphabet = Self.fastScalars + ["\u{0306}", "\u{0308}", "\u{1FEF}", "👍", "\u{200D}", "\u{FE0F}", "İ", "٣"]
        var generator = SplitMix64(seed: 2024)
        for _ in 0..<3_000 {
            let length = Int.random(in: 0...12, using: &generator)
            var text = String.UnicodeScalarView()
            for _ in 0..<length {
                // Mostly letters people type, so tokens are long enough to matter.
                let pick = Int.random(in: 0..<4, using: &generator)
                text.append(pick == 0 ? alphabet.randomElement(using: &generator)! : Self.common.randomElement(using: &generator)!)
            }
            Self.expectSameAsReference(String(text))
        }
    }

    /// Each fast scalar is a `Character` of its own beside any other (CR LF aside, which both paths treat as
    /// separators), which lets the fast path skip grapheme breaking.
    @Test func fastScalarsNeverJoinTheirNeighbours() {
        for first in Self.fastScalars {
            var text = String.UnicodeScalarView()
            for second in Self.fastScalars {
                text.append(first)
                text.append(second)
            }
            let crlf = zip(text, text.dropFirst()).count { $0 == "\r" && $1 == "\n" }
            #expect(String(text).count == text.count - crlf, "U+\(String(first.value, radix: 16))")
        }
    }

    @Test func combiningMarksStayWithTheirLetter() {
        #expect(ShoroWords.tokens("заи\u{0306}ти домой") == ["зайти", "домой"])
        #expect(ShoroWords.tokens("заи\u{0306}ти").count == 1)
        #expect(ShoroWords.tokens("Е\u{0308}ЛКА") == ["елка"])
        #expect(ShoroWords.tokens("don’t DONʼT don`t") == ["dont", "dont", "dont"])
        #expect(ShoroWords.tokens("3👍да 1️⃣") == ["3", "да", "1️⃣"])
        #expect(ShoroWords.tokens("٣ ३ ３") == ["٣", "३", "３"])
    }

    @Test func catalogPhrasesMatchAtAnyPosition() {
        var phrases = CatalogPhrases()
        let added = phrases.add("с человеком|с менеджером|оператор|где мой заказ")
        let emptyPhraseAdded = phrases.add("ok||оператор")
        #expect(added && !emptyPhraseAdded)
        #expect(phrases.matches("Соедините с человеком, пожалуйста"))
        #expect(phrases.matches("а где мой заказ?"))
        #expect(phrases.matches("ОПЕРАТОР"))
        #expect(!phrases.matches("где мой"))
        #expect(!phrases.matches("с вами"))
        #expect(!phrases.matches("ул. Операторская 5"))
    }

    static let common: [Unicode.Scalar] = Array("абвгдеёжзийклмнопрстуфхцчшщъыьэюяңөүАБЁЙҢӨҮabcXYZ0123456789 ,.-'’!?".unicodeScalars)

    static func expectSameAsReference(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let scalars = text.unicodeScalars.map { String($0.value, radix: 16) }
        // Bytes, not `==`, which would forgive a difference in normalisation.
        #expect(Array(ShoroWords.fold(text).utf8) == Array(Self.referenceFold(text).utf8), "\(scalars)", sourceLocation: sourceLocation)
        #expect(
            ShoroWords.tokens(text).map { Array($0.utf8) } == Self.referenceTokens(text).map { Array($0.utf8) }, "\(scalars)",
            sourceLocation: sourceLocation)
    }
}

/// A seeded generator (SplitMix64), so the random corpus is the same on every run.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
