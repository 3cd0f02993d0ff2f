/// PostgreSQL array literals, so one statement can carry a column of values for many rows
/// (`unnest($1::text[], $2::text[])`) instead of one statement per row.
public enum PostgresArray {
    /// The text form of a one-dimensional array (`{"a","b",NULL}`): every element is double-quoted with `\` and `"`
    /// escaped, so no value (commas, braces, quotes, the word NULL, an empty string) can change the array's shape.
    /// `nil` becomes SQL NULL.
    public static func literal(_ values: [String?]) -> String {
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
}
