/// An email address as parents type it, checked and normalised (trimmed, lower case).
///
/// Deliberately pragmatic rather than RFC 5322: one `@`, a non-empty local part without spaces,
/// a domain with a dot and a 2+ letter top-level label. Typos people actually make
/// (`name@gmail`, `name@@mail.ru`, `name gmail.com`, a trailing dot) are rejected so the bot can re-prompt.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    public init?(_ raw: String) {
        var text = raw.trimmingCharacters(" \t\r\n<>\"'")
        if text.lowercased().hasPrefix("mailto:") { text = String(text.dropFirst(7)) }
        text = text.lowercased()
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64, text.count <= 254 else { return nil }
        let local = parts[0], domain = parts[1]
        guard !text.contains(where: { $0 == " " || $0 == "," || $0 == ";" || $0.isNewline }) else { return nil }
        guard !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else { return nil }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") }) else {
            return nil
        }
        guard labels.allSatisfy({ $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } }),
            let top = labels.last, top.count >= 2, top.allSatisfy(\.isLetter)
        else { return nil }
        // Latin and Cyrillic letters never share a real mailbox or domain name (registries refuse mixed-script
        // names); mixed ones are words squeezed into an address ("мояпочтаanna@mail.ruспасибо") and would bounce.
        guard !Self.mixesLatinAndCyrillic(local), !Self.mixesLatinAndCyrillic(domain) else { return nil }
        self.value = text
    }

    /// The one address in a sentence ("моя почта anna@mail.ru спасибо", "anna собака mail точка ru"), normalised.
    ///
    /// Addresses written whole come first; only when there is none is the message read as a spoken address
    /// (`SpokenEmail`: "anna at mail dot ru", "anna @ mail.ru"). Every value found passes `EmailAddress.init`.
    public static func find(in text: String) -> FoundInText<String> {
        let written = text.split(whereSeparator: { $0.isWhitespace || Self.wordBreaks.contains($0) })
            .filter { $0.contains("@") }
            .compactMap { Self($0.trimmingCharacters(".!?…"))?.value }
        return FoundInText(written.isEmpty ? SpokenEmail.candidates(text).compactMap { Self($0)?.value } : written)
    }

    // Characters that end an address written in a sentence; none of them can be part of one as parents type it.
    private static let wordBreaks: Set<Character> = [",", ";", ":", "(", ")", "<", ">", "\"", "'", "«", "»", "“", "”"]

    private static func mixesLatinAndCyrillic(_ text: Substring) -> Bool {
        let scripts = ShoroWords.scripts(text)
        return scripts.latin && scripts.cyrillic
    }

    public var description: String { self.value }
}

/// An international phone number normalised to `+` and 10–15 digits (E.164 without spaces).
///
/// Accepts what forms and people produce: spaces, dashes, dots, parentheses, a leading `00`,
/// and the Russian/Kazakh trunk prefix `8` (`8 999 000-11-22` → `+79990001122`). Ten digits
/// without any prefix are read as a Russian number, the academy's main audience.
public struct PhoneNumber: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    public init?(_ raw: String) {
        let trimmed = raw.trimmingCharacters(" \t\r\n")
        guard !trimmed.isEmpty, trimmed.count <= 32 else { return nil }
        var digits = ""
        var plus = false
        for (index, character) in trimmed.enumerated() {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if character == "+", index == 0 {
                plus = true
            } else if !" -.()/\u{00A0}".contains(character) {
                return nil
            }
        }
        if !plus, digits.hasPrefix("00") {
            digits.removeFirst(2)
            plus = true
        }
        if !plus {
            if digits.count == 11, digits.hasPrefix("8") {
                digits = "7" + digits.dropFirst()
            } else if digits.count == 10, digits.hasPrefix("9") {
                digits = "7" + digits
            }
        }
        guard (10...15).contains(digits.count), !digits.hasPrefix("0") else { return nil }
        self.value = "+" + digits
    }

    /// The one number inside a sentence ("мой телефон +7 999 123-45-67, звоните вечером"), normalised.
    public static func find(in text: String) -> FoundInText<String> {
        PhoneSpans.find(in: text, prefixesAfterDigits: ["+", "0", "8"]) { Self($0)?.value }
    }

    public var description: String { self.value }
}
