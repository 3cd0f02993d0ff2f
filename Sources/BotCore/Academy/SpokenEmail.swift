/// Reads an email address as people say it or transcription writes it, inside a sentence.
///
/// `ivan at gmail dot com`, `моя почта anna собака mail точка ru, спасибо` (→ `anna@mail.ru`: only the words joined
/// to the `@` by spoken separators form the address, never the words around it), `Ivan@mail.ru.` (Whisper's final
/// full stop). `иван собака gmail точка ком` gives `иван@gmail.ком`, which `EmailAddress` still refuses.
public enum SpokenEmail {
    /// The address-shaped candidates in `text`, one per `@` (spoken or written) with a word on each side.
    public static func candidates(_ text: String) -> [String] {
        let pieces = Self.pieces(text)
        var candidates: [String] = []
        for (index, piece) in pieces.enumerated() where piece == .symbol("@") {
            guard index > 0, index + 1 < pieces.count, case .word = pieces[index - 1], case .word = pieces[index + 1]
            else { continue }
            var start = index - 1
            while start >= 2, case .symbol(let joiner) = pieces[start - 1], Self.joiners.contains(joiner),
                case .word = pieces[start - 2]
            {
                start -= 2
            }
            var end = index + 1
            while end + 2 < pieces.count, case .symbol(let joiner) = pieces[end + 1], Self.joiners.contains(joiner),
                case .word = pieces[end + 2]
            {
                end += 2
            }
            candidates.append(pieces[start...end].map(\.text).joined())
        }
        return candidates
    }

    /// A spoken or written word, or a separator an address is built with.
    enum Piece: Equatable {
        case word(String)
        case symbol(String)

        var text: String {
            switch self {
            case .word(let text), .symbol(let text): text
            }
        }
    }

    /// The lower-cased words of `text` with spoken separators turned into symbols and a written `@` split off.
    static func pieces(_ text: String) -> [Piece] {
        let words = text.lowercased().split(whereSeparator: \.isWhitespace).map(String.init)
        var pieces: [Piece] = []
        var index = 0
        while index < words.count {
            if index + 1 < words.count, let symbol = Self.pairs[words[index] + " " + words[index + 1]] {
                pieces.append(.symbol(symbol))
                index += 2
                continue
            }
            let word = words[index]
            index += 1
            if let symbol = Self.words[word] ?? (Self.joiners.contains(word) || word == "@" ? word : nil) {
                pieces.append(.symbol(symbol))
                continue
            }
            // A word ending a clause ("ru,", "com.") still belongs to the address; "anna@" and "@mail.ru" are halves.
            let trimmed = word.trimmingCharacters(".,!?…;:()\"'«»")
            for (part, half) in trimmed.split(separator: "@", omittingEmptySubsequences: false).enumerated() {
                if part > 0 { pieces.append(.symbol("@")) }
                if !half.isEmpty { pieces.append(.word(String(half))) }
            }
        }
        return pieces
    }

    /// Symbols that join the words of one address.
    private static let joiners: Set<String> = [".", "_", "-"]

    private static let words: [String: String] = [
        "at": "@", "собака": "@", "собачка": "@", "эт": "@", "dot": ".", "точка": ".", "underscore": "_",
        "дефис": "-", "тире": "-", "dash": "-", "hyphen": "-", "минус": "-",
    ]

    private static let pairs: [String: String] = [
        "нижнее подчёркивание": "_", "нижнее подчеркивание": "_", "at sign": "@",
    ]
}
