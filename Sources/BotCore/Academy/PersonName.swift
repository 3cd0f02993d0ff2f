/// A parent's name as typed: 2–100 characters of letters, spaces, hyphens, apostrophes and dots.
public struct PersonName: Sendable, Hashable, CustomStringConvertible {
    public static let lengthRange = 2...100

    /// Trimmed, with runs of whitespace collapsed to one space.
    public let value: String

    /// Accepts `Анна`, `Anna-Maria O'Neil`, `Ж. Б.`; rejects digits, emoji, links and single letters.
    public init?(_ raw: String) {
        let text = raw.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard Self.lengthRange.contains(text.count),
            text.allSatisfy({ $0.isLetter || $0 == " " || "-'’.".contains($0) }),
            text.filter(\.isLetter).count >= 2,
            text.first?.isLetter == true
        else { return nil }
        self.value = text
    }

    public var description: String { self.value }
}
