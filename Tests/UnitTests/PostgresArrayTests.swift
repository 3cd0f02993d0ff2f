import Postgres
import Testing

@Suite struct PostgresArrayTests {
    /// The scalar-by-scalar implementation `literal` replaced; the byte version must produce the same text.
    static func reference(_ values: [String?]) -> String {
        var text = "{"
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            guard let value else {
                text += "NULL"
                continue
            }
            text += "\""
            for character in value.unicodeScalars {
                if character == "\"" || character == "\\" { text += "\\" }
                text.unicodeScalars.append(character)
            }
            text += "\""
        }
        return text + "}"
    }

    @Test(
        arguments: [
            [], [nil], [""], ["a", nil, "b"], ["NULL", "null", "{}", "a,b", "\"quoted\"", "back\\slash", "\\\""],
            [#"{"text":"Здравствуйте! 3 бутыли, ул. Киевская 95 \"Шоро\" 👍🏽 и\#u{0306}"}"#, nil, "Чүй ң ө ү", "\r\n\t"],
        ] as [[String?]])
    func matchesTheScalarImplementation(values: [String?]) {
        #expect(Array(PostgresArray.literal(values).utf8) == Array(Self.reference(values).utf8))
    }

    @Test func escapesQuotesAndBackslashes() {
        #expect(PostgresArray.literal(["a\"b", "c\\d", nil, ""]) == #"{"a\"b","c\\d",NULL,""}"#)
    }
}
