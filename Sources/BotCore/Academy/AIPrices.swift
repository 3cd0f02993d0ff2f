/// Spotting money amounts and links in free text, for `AIPostfilter`.
enum AIPrices {
    /// An amount: whole units and hundredths.
    struct Amount: Hashable {
        let whole: Int
        let fraction: Int
    }

    /// Amounts written with a currency before or after them: `4 900 ₽`, `5000 руб.`, `$49`, `49.90 EUR`,
    /// `5 тыс. рублей`. Bare numbers ("2 урока", "45 минут", "7 лет") are not prices.
    static func amounts(in text: String) -> [Amount] {
        let characters = Array(text)
        var amounts: [Amount] = []
        var index = 0
        while index < characters.count {
            guard characters[index].isASCII, characters[index].isNumber,
                index == 0 || !(characters[index - 1].isLetter || characters[index - 1].isNumber)
            else {
                index += 1
                continue
            }
            let start = index
            var digits = Self.digits(characters, from: &index)
            // Thousands groups: "4 900", "4,900", "4.900", "4 900" (no-break or thin space).
            while index < characters.count, " \u{00A0}\u{202F},.".contains(characters[index]),
                Self.isGroup(characters, at: index + 1)
            {
                index += 1
                digits += Self.digits(characters, from: &index)
            }
            var fraction = 0
            if index + 1 < characters.count, ",.".contains(characters[index]), characters[index + 1].isNumber {
                var cursor = index + 1
                let decimals = Self.digits(characters, from: &cursor)
                if decimals.count <= 2 {
                    fraction = Int(decimals.padding(toLength: 2)) ?? 0
                    index = cursor
                }
            }
            var whole = Int(digits.prefix(12)) ?? 0
            var after = Self.word(after: characters, from: index)
            if ["тыс", "тысяч", "тысячи", "k"].contains(after.word) {
                whole *= 1000
                after = Self.word(after: characters, from: after.end)
            }
            let before = Self.word(before: characters, at: start)
            if Self.currencies.contains(after.word) || Self.currencies.contains(before) {
                amounts.append(Amount(whole: whole, fraction: fraction))
            }
            index = max(index, start + 1)
        }
        return amounts
    }

    /// Whether a token is a URL, `www.` address, email or bare `name.tld[/path]` domain.
    static func looksLikeLink(_ token: String) -> Bool {
        let lower = token.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("www.") { return true }
        let address = lower.split(separator: "@", maxSplits: 1).last.map(String.init) ?? lower
        let host = address.prefix { !"/?#:".contains($0) }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2,
            labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } }),
            let top = labels.last
        else { return false }
        return Self.topLevelDomains.contains(String(top))
    }

    private static func digits(_ characters: [Character], from index: inout Int) -> String {
        var result = ""
        while index < characters.count, characters[index].isASCII, characters[index].isNumber {
            result.append(characters[index])
            index += 1
        }
        return result
    }

    /// Exactly three digits at `index`, not followed by another digit.
    private static func isGroup(_ characters: [Character], at index: Int) -> Bool {
        guard index + 3 <= characters.count else { return false }
        let group = characters[index..<index + 3]
        guard group.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        return index + 3 == characters.count || !characters[index + 3].isNumber
    }

    /// The next word (letters, or one currency symbol) after optional spaces, lower-cased, and where it ends.
    private static func word(after characters: [Character], from index: Int) -> (word: String, end: Int) {
        var cursor = index
        while cursor < characters.count, characters[cursor] == " " || characters[cursor] == "\u{00A0}" { cursor += 1 }
        guard cursor < characters.count else { return ("", cursor) }
        if Self.symbols.contains(characters[cursor]) { return (String(characters[cursor]), cursor + 1) }
        var word = ""
        while cursor < characters.count, characters[cursor].isLetter {
            word.append(characters[cursor])
            cursor += 1
        }
        if cursor < characters.count, characters[cursor] == "." { cursor += 1 }
        return (word.lowercased(), cursor)
    }

    /// The word or currency symbol just before `index`, lower-cased.
    private static func word(before characters: [Character], at index: Int) -> String {
        var cursor = index - 1
        while cursor >= 0, characters[cursor] == " " || characters[cursor] == "\u{00A0}" { cursor -= 1 }
        guard cursor >= 0 else { return "" }
        if Self.symbols.contains(characters[cursor]) { return String(characters[cursor]) }
        var word = ""
        while cursor >= 0, characters[cursor].isLetter {
            word = String(characters[cursor]) + word
            cursor -= 1
        }
        return word.lowercased()
    }

    private static let symbols: Set<Character> = ["₽", "$", "€", "£", "₸", "₴"]

    private static let currencies: Set<String> = [
        "₽", "$", "€", "£", "₸", "₴", "р", "руб", "рубль", "рубля", "рублей", "rub", "rur", "usd", "доллар",
        "доллара", "долларов", "dollar", "dollars", "евро", "euro", "euros", "eur", "сом", "сома", "сомов", "kgs",
        "тенге", "kzt", "грн", "гривен", "uah", "gbp", "pounds",
    ]

    private static let topLevelDomains: Set<String> = [
        "com", "ru", "org", "net", "io", "me", "info", "su", "рф", "ua", "by", "kz", "kg", "uz", "app", "ai", "co",
        "online", "site", "xyz", "ly", "gl", "link", "to", "biz", "pro", "school", "academy", "edu", "dev", "tv",
        "us", "uk", "de", "eu", "lv", "lt", "ee", "pl",
    ]
}

extension String {
    /// Right-padded with zeros to `length` ("5" → "50"), or cut to it.
    fileprivate func padding(toLength length: Int) -> String {
        self.count >= length ? String(self.prefix(length)) : self + String(repeating: "0", count: length - self.count)
    }
}
