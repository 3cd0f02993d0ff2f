/// Turns an email address as people say or transcription writes it into something `EmailAddress` can read.
///
/// `ivan at gmail dot com`, `иван собака gmail точка ком` (→ `иван@gmail.ком`, still rejected: the
/// domain stays as spoken), `Ivan@mail.ru.` (Whisper's final full stop).
public enum SpokenEmail {
    /// The candidate address: spoken separators replaced, spaces and the final punctuation removed.
    public static func normalise(_ text: String) -> String {
        var tokens = text.lowercased().split(whereSeparator: \.isWhitespace).map(String.init)
        while let last = tokens.last {
            let trimmed = Self.droppingTrailingPunctuation(last)
            if !trimmed.isEmpty {
                tokens[tokens.count - 1] = trimmed
                break
            }
            tokens.removeLast()
        }
        var result = ""
        var index = 0
        while index < tokens.count {
            if index + 1 < tokens.count, let symbol = Self.pairs[tokens[index] + " " + tokens[index + 1]] {
                result += symbol
                index += 2
            } else {
                result += Self.words[tokens[index]] ?? tokens[index]
                index += 1
            }
        }
        return result
    }

    private static func droppingTrailingPunctuation(_ token: String) -> String {
        var token = Substring(token)
        while let last = token.last, ".,!?…;:".contains(last) { token.removeLast() }
        return String(token)
    }

    private static let words: [String: String] = [
        "at": "@", "собака": "@", "собачка": "@", "эт": "@", "dot": ".", "точка": ".", "underscore": "_",
        "дефис": "-", "тире": "-", "dash": "-", "hyphen": "-", "минус": "-",
    ]

    private static let pairs: [String: String] = [
        "нижнее подчёркивание": "_", "нижнее подчеркивание": "_", "at sign": "@",
    ]
}
