/// Word-level helpers shared by the parsers: case folding and tokenising customer text.
///
/// Text made only of the scalars in `ShoroWords.scalarTable` (ASCII, Latin-1, Cyrillic, common punctuation: nearly
/// every message) is folded and split one scalar at a time; anything else (emoji, combining marks, other scripts)
/// takes the `Character` path, which defines the behaviour. `ShoroWordsTests` checks that the two agree.
enum ShoroWords {
    /// Lower-cases, folds `ё` to `е` and drops apostrophes so "Don't" and "dont" compare equal.
    static func fold(_ text: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            guard let info = self.scalarInfo(scalar) else { return self.foldingCharacters(text) }
            if let folded = info.folded {
                UTF8.encode(folded) { bytes.append($0) }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The folded words (runs of letters and/or digits) of `text`, punctuation and emoji dropped.
    static func tokens(_ text: String) -> [String] {
        self.words(inFolded: self.fold(text))
    }

    /// The runs of letters and/or digits of text that is already folded (`tokens` without the folding).
    static func words(inFolded folded: String) -> [String] {
        var tokens: [String] = []
        let scalars = folded.unicodeScalars
        var start: String.Index?
        var index = scalars.startIndex
        while index < scalars.endIndex {
            guard let info = self.scalarInfo(scalars[index]) else { return self.wordsByCharacter(inFolded: folded) }
            if !info.isWordPart {
                if let first = start {
                    tokens.append(String(scalars[first..<index]))
                    start = nil
                }
            } else if start == nil {
                start = index
            }
            scalars.formIndex(after: &index)
        }
        if let first = start {
            tokens.append(String(scalars[first...]))
        }
        return tokens
    }

    /// `fold` one `Character` at a time: what the scalar path must match, and the path for text outside its table.
    static func foldingCharacters(_ text: String) -> String {
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

    /// `words(inFolded:)` one `Character` at a time: a letter or digit keeps its combining marks ("и\u{306}").
    static func wordsByCharacter(inFolded folded: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        for character in folded {
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
        for start in 0...(tokens.count - phrase.count) where tokens[start..<(start + phrase.count)].elementsEqual(phrase) {
            return true
        }
        return false
    }

    /// Whether `text` has Latin letters (with their accented forms) and whether it has Cyrillic ones.
    static func scripts(_ text: some StringProtocol) -> (latin: Bool, cyrillic: Bool) {
        var latin = false
        var cyrillic = false
        // The property lookup is the costly part: only for scalars in the ranges, and only until the answer is known.
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x41...0x5A, 0x61...0x7A: latin = true
            case 0xC0...0x24F where !latin: latin = scalar.properties.isAlphabetic
            case 0x400...0x4FF where !cyrillic: cyrillic = scalar.properties.isAlphabetic
            default: continue
            }
            if latin && cyrillic { break }
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
