/// What the customer chose to change after answering "no" to the summary.
public enum CorrectionField: String, Sendable, Codable, Equatable, CaseIterable {
    case address, phone, bottles, startOver

    /// Reads a field name ("адрес", "номер", "количество", "дарек", "phone"…) or, in an answer without one, a menu
    /// number "1"–"4"; several fields is nil. A number beside a field name is part of the sentence ("поменяйте на 4
    /// бутыли" is about bottles, not option 4).
    public static func parse(_ text: String) -> CorrectionField? {
        self.parse(FoldedText(text))
    }

    /// `parse(_:)` of a message already folded.
    static func parse(_ text: FoldedText) -> CorrectionField? {
        let tokens = text.tokens
        var chosen = Set(tokens.compactMap { Self.words[$0] })
        if chosen.isEmpty {
            chosen = Set(tokens.compactMap { Self.menu[$0] })
        }
        guard chosen.count == 1 else { return nil }
        return chosen.first
    }

    private static let menu: [String: CorrectionField] = ["1": .address, "2": .phone, "3": .bottles, "4": .startOver]

    private static let words: [String: CorrectionField] = {
        var words: [String: CorrectionField] = [:]
        let names: [(CorrectionField, [String])] = [
            (.address, ["адрес", "адреса", "адресс", "дарек", "даректи", "address", "addr"]),
            (
                .phone,
                [
                    "телефон", "телефона", "тел", "номер", "номера", "телефонду", "номерди", "phone", "number", "tel",
                ]
            ),
            (
                .bottles,
                [
                    "бутыли", "бутылей", "бутыль", "бутылки", "количество", "кол", "сколько", "бөтөлкө",
                    "бөтөлкөлөр", "саны", "bottles", "bottle", "quantity", "amount", "count",
                ]
            ),
            (.startOver, ["заново", "сначала", "restart", "кайра", "баштоо"]),
        ]
        for (field, list) in names {
            for word in list { words[word] = field }
        }
        return words
    }()
}
