/// PostgreSQL array literals, so one statement can carry a column of values for many rows
/// (`unnest($1::text[], $2::text[])`) instead of one statement per row.
public enum PostgresArray {
    /// The text form of a one-dimensional array (`{"a","b",NULL}`): every element is double-quoted with `\` and `"`
    /// escaped, so no value (commas, braces, quotes, the word NULL, an empty string) can change the array's shape.
    /// `nil` becomes SQL NULL.
    public static func literal(_ values: [String?]) -> String {
        // Built as UTF-8 bytes and made a String once: appending to a String scalar by scalar was 5 % of a drain's CPU.
        // `"` and `\` are ASCII, so they never occur inside a multi-byte character and can be escaped byte by byte.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.reduce(2) { $0 + ($1?.utf8.count ?? 4) + 3 })
        bytes.append(UInt8(ascii: "{"))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            guard let value else {
                bytes.append(contentsOf: "NULL".utf8)
                continue
            }
            bytes.append(UInt8(ascii: "\""))
            for byte in value.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
