import FoundationEssentials

/// JSON text: string quoting for hand-built bodies (the webhook path, log lines and `/health` avoid `JSONEncoder`),
/// and the one encoder of the requests the bots send.
public enum JSONText {
    /// An outbound request body or stored payload: keys sorted (stable bodies, comparable in tests and logs), `/` not
    /// escaped. Encoding the bots' own request types cannot fail; a failure would be a programming error.
    public static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do { return String(decoding: try encoder.encode(value), as: UTF8.self) } catch {
            preconditionFailure("\(type(of: value)) could not be encoded: \(error)")
        }
    }

    /// A JSON string literal per RFC 8259: quotes, backslashes and control characters escaped.
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
