/// What a search for one value (a phone, an email) in a free-text answer found.
///
/// The dialogs take `.one` and re-ask otherwise: guessing between two different numbers would store the wrong one.
public enum FoundInText<Value: Sendable & Equatable>: Sendable, Equatable {
    /// Exactly one distinct value (written once or repeated).
    case one(Value)
    /// No value that passes its validator.
    case none
    /// Two or more different values, in the order written.
    case several([Value])

    /// Sorts the values found in order of appearance into one, none or several (repeats count once).
    init(_ values: [Value]) {
        var distinct: [Value] = []
        for value in values where !distinct.contains(value) {
            distinct.append(value)
        }
        switch distinct.count {
        case 0: self = .none
        case 1: self = .one(distinct[0])
        default: self = .several(distinct)
        }
    }

    /// The value when exactly one was found.
    public var value: Value? {
        if case .one(let value) = self { value } else { nil }
    }
}

/// Finds phone numbers written inside a sentence ("мой номер 0555 12 34 56, звоните после шести").
///
/// The text is cut into segments of characters a number is written with (digits, `+`, spaces, dashes, dots,
/// parentheses); letters, commas and colons end a segment. Inside a segment the groups between spaces are joined
/// greedily, longest first, and each join is checked by the caller's validator, so the validator alone decides what
/// a number is and every value returned passes it.
enum PhoneSpans {
    /// The distinct numbers in `text` that `normalize` accepts.
    ///
    /// - Parameter prefixesAfterDigits: a number written right after other digits of the same segment ("8 555 123
    ///   456", "+7 555 123 456") counts only when it starts with one of these characters: without a trunk or country
    ///   prefix of its own, the digits before it were probably part of it.
    static func find(
        in text: String, prefixesAfterDigits: Set<Character>, normalize: (String) -> String?
    ) -> FoundInText<String> {
        var found: [String] = []
        for segment in self.segments(text) {
            var index = 0
            var previousHasDigits = false
            while index < segment.count {
                let chunk = segment[index]
                guard chunk.contains(where: ShoroWords.isASCIIDigit) || chunk.first == "+" else {
                    index += 1
                    continue
                }
                let allowed = !previousHasDigits || chunk.first.map(prefixesAfterDigits.contains) == true
                let longest = min(segment.count, index + Self.maximumGroups)
                var matched: (end: Int, phone: String)?
                if allowed {
                    for end in stride(from: longest, to: index, by: -1) {
                        if let phone = normalize(segment[index..<end].joined(separator: " ")) {
                            matched = (end, phone)
                            break
                        }
                    }
                }
                if let matched {
                    found.append(matched.phone)
                    index = matched.end
                    previousHasDigits = false
                } else {
                    previousHasDigits = true
                    index += 1
                }
            }
        }
        return FoundInText(found)
    }

    // "0 5 5 5 1 2 3 4 5 6" is fifteen groups at most for the longest international number.
    private static let maximumGroups = 16

    /// The segments of `text`, each as its space-separated groups.
    static func segments(_ text: String) -> [[String]] {
        var segments: [[String]] = []
        var groups: [String] = []
        var group = ""
        func endGroup() {
            if !group.isEmpty { groups.append(group) }
            group = ""
        }
        func endSegment() {
            endGroup()
            if !groups.isEmpty { segments.append(groups) }
            groups = []
        }
        for character in text {
            if ShoroWords.isASCIIDigit(character) || character == "+" || Self.separators.contains(character) {
                group.append(character)
            } else if character.isWhitespace {
                endGroup()
            } else {
                endSegment()
            }
        }
        endSegment()
        return segments
    }

    // Zero-width characters sneak in when numbers are copied from contact cards.
    static let separators: Set<Character> = [
        "-", "\u{2010}", "\u{2013}", "\u{2014}", ".", "(", ")", "/", "\u{200B}", "\u{2060}", "\u{FEFF}",
    ]
}
