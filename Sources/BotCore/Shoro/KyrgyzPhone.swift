/// Kyrgyz phone numbers: normalisation to `+996XXXXXXXXX` and display formatting.
public enum KyrgyzPhone: Sendable {
    /// The example shown to customers when a number can't be read.
    public static let examples = ["0555 123 456", "+996 555 123 456"]

    /// Normalises a Kyrgyz number written in any common way to `+996XXXXXXXXX`, or nil if it isn't one.
    ///
    /// Accepts `0555 123 456`, `555123456`, `996555123456`, `+996 (555) 12-34-56`, `00996555123456`
    /// and `+996 0555 123 456`, with spaces, dashes, dots or parentheses anywhere. The 9 national
    /// digits must start with 2–9. Letters, other country codes and wrong digit counts give nil.
    public static func normalize(_ text: String) -> String? {
        var digits = ""
        var hasPlus = false
        for character in text {
            if character.isWhitespace || PhoneSpans.separators.contains(character) {
                continue
            }
            if character == "+" {
                // A plus is only meaningful as the very first symbol of the number.
                guard !hasPlus, digits.isEmpty else { return nil }
                hasPlus = true
            } else if ShoroWords.isASCIIDigit(character) {
                digits.append(character)
            } else {
                return nil
            }
        }
        guard let national = Self.nationalDigits(digits, hasPlus: hasPlus),
            let first = national.first, ("2"..."9").contains(first)
        else { return nil }
        return "+996" + national
    }

    /// The Kyrgyz number inside a sentence ("мой номер 0555 12 34 56", "тел: +996 555 123456, звоните после
    /// шести"); each value found is `normalize`d. Numbers of other countries are not found.
    public static func find(in text: String) -> FoundInText<String> {
        PhoneSpans.find(in: text, prefixesAfterDigits: ["0", "+"], normalize: Self.normalize)
    }

    /// Formats a normalised number as `+996 555 123 456`; other strings are returned unchanged.
    public static func display(_ phone: String) -> String {
        guard let normalized = Self.normalize(phone) else { return phone }
        let national = Array(normalized.dropFirst(4))
        return "+996 \(String(national[0..<3])) \(String(national[3..<6])) \(String(national[6..<9]))"
    }

    /// The 9 national digits, after removing the country code or trunk prefix.
    private static func nationalDigits(_ digits: String, hasPlus: Bool) -> String? {
        let candidates: [(prefix: String, allowedWithPlus: Bool)] = [
            ("9960", true), ("996", true), ("00996", false), ("0", false), ("", false),
        ]
        for candidate in candidates where digits.hasPrefix(candidate.prefix) {
            guard !hasPlus || candidate.allowedWithPlus else { continue }
            let rest = String(digits.dropFirst(candidate.prefix.count))
            if rest.count == 9 {
                return rest
            }
        }
        return nil
    }
}
