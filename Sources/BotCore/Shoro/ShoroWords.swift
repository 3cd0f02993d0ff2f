/// Word-level helpers shared by the parsers: case folding and tokenising customer text.
enum ShoroWords {
    /// Lower-cases, folds `ё` to `е` and drops apostrophes so "Don't" and "dont" compare equal.
    static func fold(_ text: String) -> String {
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

    /// The folded words (runs of letters and/or digits) of `text`, punctuation and emoji dropped.
    static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        for character in self.fold(text) {
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

    /// Whether `tokens` contains `phrase` as a contiguous run.
    static func contains(_ tokens: [String], phrase: [String]) -> Bool {
        guard !phrase.isEmpty, tokens.count >= phrase.count else { return false }
        for start in 0...(tokens.count - phrase.count) where Array(tokens[start..<(start + phrase.count)]) == phrase {
            return true
        }
        return false
    }

    /// Whether `text` has Latin letters (with their accented forms) and whether it has Cyrillic ones.
    static func scripts(_ text: some StringProtocol) -> (latin: Bool, cyrillic: Bool) {
        var latin = false
        var cyrillic = false
        for scalar in text.unicodeScalars where scalar.properties.isAlphabetic {
            switch scalar.value {
            case 0x41...0x5A, 0x61...0x7A, 0xC0...0x24F: latin = true
            case 0x400...0x4FF: cyrillic = true
            default: continue
            }
        }
        return (latin, cyrillic)
    }

    /// Whether `character` is an ASCII digit (other scripts' digits are not phone or count digits).
    static func isASCIIDigit(_ character: Character) -> Bool {
        character.isASCII && character.isNumber
    }
}

extension String {
    /// The string without leading and trailing whitespace or newlines.
    func trimmingWhitespace() -> String {
        guard let first = self.firstIndex(where: { !$0.isWhitespace }),
            let last = self.lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(self[first...last])
    }

    /// The string trimmed, with every run of whitespace (including newlines) collapsed to one space.
    func collapsingWhitespace() -> String {
        self.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
