/// What the customer chose to change after answering "no" to the summary.
public enum CorrectionField: String, Sendable, Codable, Equatable, CaseIterable {
    case address, phone, bottles, startOver

    /// Reads "1"–"4" or a field name ("адрес", "номер", "количество", "дарек", "phone"…); several fields is nil.
    public static func parse(_ text: String) -> CorrectionField? {
        var chosen: Set<CorrectionField> = []
        for token in ShoroWords.tokens(text) {
            if let field = Self.words[token] {
                chosen.insert(field)
            }
        }
        guard chosen.count == 1 else { return nil }
        return chosen.first
    }

    private static let words: [String: CorrectionField] = {
        var words: [String: CorrectionField] = ["1": .address, "2": .phone, "3": .bottles, "4": .startOver]
        let names: [(CorrectionField, [String])] = [
            (.address, ["адрес", "адреса", "адресс", "дарек", "даректи", "address", "addr"]),
            (.phone, [
                "телефон", "телефона", "тел", "номер", "номера", "телефонду", "номерди", "phone", "number", "tel",
            ]),
            (.bottles, [
                "бутыли", "бутылей", "бутыль", "бутылки", "количество", "кол", "сколько", "бөтөлкө",
                "бөтөлкөлөр", "саны", "bottles", "bottle", "quantity", "amount", "count",
            ]),
            (.startOver, ["заново", "сначала", "restart", "кайра", "баштоо"]),
        ]
        for (field, list) in names {
            for word in list { words[word] = field }
        }
        return words
    }()
}
