/// Russian, Kyrgyz and English number words 0–50 and 100 (compounds are combined by `BottleCount`).
enum NumberWords {
    /// The value of one folded number word, or nil if it isn't one.
    static func value(of word: String) -> Int? {
        self.values[word]
    }

    /// Whether `word` takes a following unit word to form a compound ("twenty five", "он беш").
    static func takesUnit(_ word: String) -> Bool {
        // Only Kyrgyz builds teens this way; "десять пять" is not a Russian number.
        guard let value = self.values[word] else { return false }
        return value == 20 || value == 30 || value == 40 || word == "он"
    }

    private static let values: [String: Int] = {
        var values: [String: Int] = [:]
        let groups: [[String: Int]] = [russian, kyrgyz, english]
        for group in groups {
            values.merge(group) { first, _ in first }
        }
        return values
    }()

    // Includes the genitive and accusative forms people use with "бутыль" ("двух", "одну").
    private static let russian: [String: Int] = [
        "ноль": 0, "сто": 100,
        "один": 1, "одна": 1, "одну": 1, "одной": 1, "одного": 1,
        "два": 2, "две": 2, "двух": 2, "три": 3, "трех": 3, "четыре": 4, "четырех": 4,
        "пять": 5, "пяти": 5, "шесть": 6, "шести": 6, "семь": 7, "семи": 7,
        "восемь": 8, "восьми": 8, "девять": 9, "девяти": 9, "десять": 10, "десяти": 10,
        "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13, "четырнадцать": 14,
        "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18,
        "девятнадцать": 19, "двадцать": 20, "двадцати": 20, "тридцать": 30, "тридцати": 30,
        "сорок": 40, "сорока": 40, "пятьдесят": 50, "пятидесяти": 50,
    ]

    // Kyrgyz teens are compounds ("он беш" = 15). Spellings without ү/ө are common on phones,
    // but "торт" is left out: it is the Russian for "cake".
    private static let kyrgyz: [String: Int] = [
        "нөл": 0, "жүз": 100, "бир": 1, "эки": 2, "үч": 3, "уч": 3, "төрт": 4, "беш": 5, "алты": 6, "жети": 7,
        "сегиз": 8, "тогуз": 9, "он": 10, "жыйырма": 20, "отуз": 30, "кырк": 40,
        "элүү": 50, "элуу": 50,
    ]

    private static let english: [String: Int] = [
        "zero": 0, "hundred": 100, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
        "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
        "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
        "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    ]
}
