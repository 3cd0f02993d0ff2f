import FoundationEssentials

/// A small JSON tree for provider envelopes whose shape varies (errors, optional fields).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses JSON text (RFC 8259: one value, surrounded by whitespace only); nil when it is not JSON.
    public static func parse(_ text: String) -> JSONValue? {
        var text = text
        return text.withUTF8 { JSONValueParser.parse($0) }
    }

    /// Parses UTF-8 JSON bytes; nil when they are not JSON. Integers that fit `Int64` become `.integer`,
    /// other numbers `.number`; of duplicate object keys the last wins.
    public static func parse(_ bytes: [UInt8]) -> JSONValue? {
        bytes.withUnsafeBufferPointer { JSONValueParser.parse($0) }
    }

    /// Parses a webhook body from outside, cleaning its strings (keys too) instead of refusing them: control
    /// characters other than tab, line feed and carriage return are dropped (`\u0000` would cut a libpq parameter
    /// short), lone UTF-16 surrogate escapes and invalid UTF-8 become U+FFFD. `cleaned` tells whether anything was
    /// changed. Anything else that is not JSON (raw control bytes inside a string included) is still nil.
    public static func parseUntrusted(_ bytes: [UInt8]) -> (value: JSONValue, cleaned: Bool)? {
        bytes.withUnsafeBufferPointer { JSONValueParser.parseUntrusted($0) }
    }

    public var objectValue: [String: JSONValue]? { if case .object(let value) = self { value } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let value) = self { value } else { nil } }
    public var stringValue: String? {
        switch self {
        case .string(let value): value
        case .integer(let value): String(value)
        default: nil
        }
    }

    /// Compact JSON text.
    public var serialized: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .integer(let value): String(value)
        case .number(let value): value.isFinite ? "\(value)" : "null"
        case .string(let value): JSONText.quote(value)
        case .array(let items): "[" + items.map(\.serialized).joined(separator: ",") + "]"
        case .object(let items):
            "{"
                + items.sorted { $0.key < $1.key }.map { JSONText.quote($0.key) + ":" + $0.value.serialized }
                .joined(separator: ",") + "}"
        }
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

/// A small validating recursive-descent JSON parser (the request path avoids `JSONDecoder`, which costs
/// several microseconds per webhook body and allocates per key).
private struct JSONValueParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    private static let maxDepth = 256
    /// Clean strings (see `JSONValue.parseUntrusted`) instead of refusing lone surrogates and invalid UTF-8.
    private let untrusted: Bool
    /// Something was dropped or replaced.
    private var cleaned = false

    private init(_ bytes: UnsafeBufferPointer<UInt8>, untrusted: Bool) {
        self.bytes = bytes
        self.untrusted = untrusted
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> JSONValue? {
        var parser = JSONValueParser(bytes, untrusted: false)
        return parser.document()
    }

    static func parseUntrusted(_ bytes: UnsafeBufferPointer<UInt8>) -> (value: JSONValue, cleaned: Bool)? {
        var parser = JSONValueParser(bytes, untrusted: true)
        return parser.document().map { ($0, parser.cleaned) }
    }

    private mutating func document() -> JSONValue? {
        guard let value = self.value() else { return nil }
        self.skipWhitespace()
        return self.index == self.bytes.count ? value : nil
    }

    private var current: UInt8? { self.index < self.bytes.count ? self.bytes[self.index] : nil }

    private mutating func skipWhitespace() {
        while let byte = self.current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { self.index += 1 }
    }

    private mutating func value() -> JSONValue? {
        self.skipWhitespace()
        guard let byte = self.current else { return nil }
        switch byte {
        case UInt8(ascii: "{"): return self.object()
        case UInt8(ascii: "["): return self.array()
        case UInt8(ascii: "\""): return self.string().map(JSONValue.string)
        case UInt8(ascii: "t"): return self.literal("true", .bool(true))
        case UInt8(ascii: "f"): return self.literal("false", .bool(false))
        case UInt8(ascii: "n"): return self.literal("null", .null)
        default: return self.number()
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) -> JSONValue? {
        let count = word.utf8CodeUnitCount
        guard self.index + count <= self.bytes.count else { return nil }
        for offset in 0..<count where self.bytes[self.index + offset] != word.utf8Start[offset] { return nil }
        self.index += count
        return value
    }

    private mutating func object() -> JSONValue? {
        self.depth += 1
        defer { self.depth -= 1 }
        guard self.depth <= Self.maxDepth else { return nil }
        self.index += 1  // {
        var members: [String: JSONValue] = [:]
        self.skipWhitespace()
        if self.current == UInt8(ascii: "}") {
            self.index += 1
            return .object(members)
        }
        while true {
            self.skipWhitespace()
            guard self.current == UInt8(ascii: "\""), let key = self.string() else { return nil }
            self.skipWhitespace()
            guard self.current == UInt8(ascii: ":") else { return nil }
            self.index += 1
            guard let value = self.value() else { return nil }
            members[key] = value
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "}"):
                self.index += 1
                return .object(members)
            default: return nil
            }
        }
    }

    private mutating func array() -> JSONValue? {
        self.depth += 1
        defer { self.depth -= 1 }
        guard self.depth <= Self.maxDepth else { return nil }
        self.index += 1  // [
        var items: [JSONValue] = []
        self.skipWhitespace()
        if self.current == UInt8(ascii: "]") {
            self.index += 1
            return .array(items)
        }
        while true {
            guard let value = self.value() else { return nil }
            items.append(value)
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "]"):
                self.index += 1
                return .array(items)
            default: return nil
            }
        }
    }

    /// A string token starting at the opening quote; nil for bad escapes, raw control characters or (unless
    /// untrusted) invalid UTF-8 and lone surrogates.
    ///
    /// Untrusted text is cleaned as a whole string, never byte by byte: dropping bytes first could join the bytes
    /// around them into a new character (a lone C2, a dropped NUL escape, then 8B would make U+008B).
    private mutating func string() -> String? {
        self.index += 1  // opening quote
        let start = self.index
        // Untrusted: a control character to drop was seen (DEL, a C1 pair, or an escape of one).
        var controls = false
        // Fast path: no escapes.
        while let byte = self.current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { return nil }
            if self.untrusted && (byte == 0x7F || byte == 0xC2 && self.isC1Control) { controls = true }
            self.index += 1
        }
        guard let stop = self.current else { return nil }
        if stop == UInt8(ascii: "\"") {
            let text = self.text(UnsafeBufferPointer(rebasing: self.bytes[start..<self.index]), controls: controls)
            self.index += 1
            return text
        }
        var buffer = Array(self.bytes[start..<self.index])
        while let byte = self.current {
            switch byte {
            case UInt8(ascii: "\""):
                self.index += 1
                return buffer.withUnsafeBufferPointer { self.text($0, controls: controls) }
            case UInt8(ascii: "\\"):
                self.index += 1
                guard let escaped = self.current else { return nil }
                self.index += 1
                let scalar: Unicode.Scalar
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalar = Unicode.Scalar(escaped)
                case UInt8(ascii: "b"): scalar = "\u{08}"
                case UInt8(ascii: "f"): scalar = "\u{0C}"
                case UInt8(ascii: "n"): scalar = "\n"
                case UInt8(ascii: "r"): scalar = "\r"
                case UInt8(ascii: "t"): scalar = "\t"
                case UInt8(ascii: "u"):
                    guard let unit = self.hex4() else { return nil }
                    guard let decoded = self.scalar(startingWith: unit) else { return nil }
                    scalar = decoded
                default: return nil
                }
                if self.untrusted && scalar.isDroppedControl { controls = true }
                UTF8.encode(scalar) { buffer.append($0) }
            default:
                guard byte >= 0x20 else { return nil }
                if self.untrusted && (byte == 0x7F || byte == 0xC2 && self.isC1Control) { controls = true }
                buffer.append(byte)
                self.index += 1
            }
        }
        return nil
    }

    /// At a C2 byte: whether it starts a C1 control character (U+0080...U+009F are C2 80...C2 9F in UTF-8).
    private var isC1Control: Bool {
        self.index + 1 < self.bytes.count && (0x80...0x9F).contains(self.bytes[self.index + 1])
    }

    /// The scalar of a `\uXXXX` escape whose code unit was just read, consuming an escaped low surrogate after a
    /// high one; a lone surrogate is nil, or U+FFFD when untrusted.
    private mutating func scalar(startingWith unit: UInt32) -> Unicode.Scalar? {
        switch unit {
        case 0xD800..<0xDC00:
            // A high surrogate must be followed by an escaped low surrogate.
            if self.index + 6 <= self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\\"),
                self.bytes[self.index + 1] == UInt8(ascii: "u")
            {
                let escape = self.index
                self.index += 2
                if let low = self.hex4(), (0xDC00..<0xE000).contains(low) {
                    return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                }
                self.index = escape  // not a low surrogate: the next escape stands on its own
            }
            return self.loneSurrogate()
        case 0xDC00..<0xE000: return self.loneSurrogate()
        default: return Unicode.Scalar(unit)
        }
    }

    private mutating func loneSurrogate() -> Unicode.Scalar? {
        guard self.untrusted else { return nil }
        self.cleaned = true
        return "\u{FFFD}"
    }

    /// The string of the token's bytes; invalid UTF-8 is nil, or replaced by U+FFFD when untrusted. Untrusted text
    /// that was replaced or holds `controls` loses its control characters.
    private mutating func text(_ bytes: UnsafeBufferPointer<UInt8>, controls: Bool) -> String? {
        if let text = String(validating: bytes, as: UTF8.self) {
            guard controls else { return text }
            self.cleaned = true
            return UntrustedText.clean(text)
        }
        guard self.untrusted else { return nil }
        self.cleaned = true
        return UntrustedText.clean(String(decoding: bytes, as: UTF8.self))
    }

    private mutating func hex4() -> UInt32? {
        guard self.index + 4 <= self.bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            self.index += 1
        }
        return value
    }

    private mutating func number() -> JSONValue? {
        let start = self.index
        var integral = true
        if self.current == UInt8(ascii: "-") { self.index += 1 }
        guard let first = self.current, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return nil }
        if first == UInt8(ascii: "0") { self.index += 1 } else { self.digits() }
        if self.current == UInt8(ascii: ".") {
            integral = false
            self.index += 1
            guard self.digits() > 0 else { return nil }
        }
        if self.current == UInt8(ascii: "e") || self.current == UInt8(ascii: "E") {
            integral = false
            self.index += 1
            if self.current == UInt8(ascii: "+") || self.current == UInt8(ascii: "-") { self.index += 1 }
            guard self.digits() > 0 else { return nil }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: self.bytes[start..<self.index]), as: UTF8.self)
        if integral, let value = Int64(text) { return .integer(value) }
        return Double(text).map(JSONValue.number)
    }

    @discardableResult
    private mutating func digits() -> Int {
        let start = self.index
        while let byte = self.current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { self.index += 1 }
        return self.index - start
    }
}

extension Unicode.Scalar {
    /// A control character (Unicode category Cc) other than tab, line feed and carriage return: what untrusted text
    /// loses at the edge. NUL would cut a libpq text parameter short; the others are noise no chat needs.
    var isDroppedControl: Bool {
        (self.value < 0x20 && self.value != 0x09 && self.value != 0x0A && self.value != 0x0D) || (0x7F...0x9F).contains(self.value)
    }
}

/// Cleaning of text that arrived from outside in something other than JSON (form fields).
public enum UntrustedText {
    /// `text` without the control characters `JSONValue.parseUntrusted` drops (tab, LF and CR stay); the same
    /// string, uncopied, when there are none.
    public static func clean(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: \.isDroppedControl) else { return text }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.lazy.filter { !$0.isDroppedControl })
        return String(scalars)
    }

    /// Whether `text` holds a control character that `clean` would drop.
    public static func hasDroppedControl(_ text: String) -> Bool { text.unicodeScalars.contains(where: \.isDroppedControl) }
}
