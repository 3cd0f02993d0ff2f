import Foundation
import Messages
import Testing

/// `JSONValue.parse`, the hand-written parser on the webhook hot path, against Foundation's `JSONDecoder` (decoding
/// the same `JSONValue` type): every valid document must give the same tree, every invalid one must be refused by
/// both. Then what only this parser promises: the depth limit, surrogates, the integer/number split.
@Suite("JSONValue parser")
struct JSONValueParseTests {
    static let valid = [
        #"{}"#, #"[]"#, #"null"#, #"true"#, #"false"#, #"0"#, #"-0"#, #"42"#, #"-17"#, #"3.25"#, #"-0.5"#, #"1.5e-1"#,
        #"2.5E-3"#, #"1.2345E+2"#, #""""#, #""plain""#, #""кириллица и 😀""#,
        #""\"\\\/\b\f\n\r\t""#, #""\u0041\u00e9\u4e2d""#, #""\ud83d\ude00""#,
        #"  {"a" : [1, 2.5, "x", null, true, false, {"b": {}}]}  "#, "\t\n\r[1]\n",
        #"{"client_id":123,"message_id":456,"text":"ул. Киевская 95","type":"from_client"}"#,
        #"[[[[[[[[[[1]]]]]]]]]]"#, #"[9223372036854775807, -9223372036854775808]"#,
    ]

    static let invalid = [
        "", " ", "{", "}", "[,1]", #"{"a" 1}"#, #"{a:1}"#, #"{'a':1}"#, "01", "+1", ".5", "1.", "1e",
        "1e+", "-", "--1", "0x10", "NaN", "Infinity", "tru", "nul", "True", #""unterminated"#, #""\x""#, #""\u12""#,
        #""\u12G4""#, "\"a\u{01}b\"", "\"tab\tinside\"", "[1] [2]", "{} x", #""a" "b""#, "[1 2]", "/* c */ 1",
    ]

    /// Trailing commas: RFC 8259 has none, Foundation's decoder tolerates them; this parser follows the RFC.
    static let invalidThatFoundationTolerates = ["[1,]", #"{"a":1,}"#, #"[1,2,]"#]

    private static func foundation(_ text: String) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    @Test(arguments: valid) func aValidDocumentGivesTheSameTreeAsJSONDecoder(_ text: String) throws {
        let ours = try #require(JSONValue.parse(text), "refused valid JSON \(text)")
        #expect(ours == Self.foundation(text), "\(text)")
        #expect(JSONValue.parse(Array(text.utf8)) == ours, "the byte and String entry points agree")
    }

    @Test(arguments: invalid) func anInvalidDocumentIsRefusedLikeJSONDecoderDoes(_ text: String) {
        #expect(JSONValue.parse(text) == nil, "accepted \(text.debugDescription)")
        #expect(Self.foundation(text) == nil, "Foundation accepts \(text.debugDescription): the corpus is wrong")
    }

    @Test(arguments: invalidThatFoundationTolerates) func aTrailingCommaIsRefused(_ text: String) {
        #expect(JSONValue.parse(text) == nil, "accepted \(text)")
    }

    @Test func serializedTextParsesBackToTheSameTree() throws {
        for text in Self.valid {
            let value = try #require(JSONValue.parse(text))
            #expect(JSONValue.parse(value.serialized) == value, "\(text) → \(value.serialized)")
        }
    }

    @Test func nestingIsLimitedTo256Levels() {
        let deep = { (levels: Int) in String(repeating: "[", count: levels) + String(repeating: "]", count: levels) }
        #expect(JSONValue.parse(deep(256)) != nil)
        #expect(JSONValue.parse(deep(257)) == nil, "a hostile body cannot recurse without bound")
        #expect(JSONValue.parse(deep(100_000)) == nil, "and a very deep one is refused, not a stack overflow")
        let objects = String(repeating: #"{"a":"#, count: 300) + "1" + String(repeating: "}", count: 300)
        #expect(JSONValue.parse(objects) == nil)
    }

    @Test func integersThatFitInt64AreIntegersAndOthersAreNumbers() {
        #expect(JSONValue.parse("9223372036854775807") == .integer(.max))
        #expect(JSONValue.parse("-9223372036854775808") == .integer(.min))
        #expect(JSONValue.parse("9223372036854775808") == .number(9_223_372_036_854_775_808))
        #expect(JSONValue.parse("12") == .integer(12))
        #expect(JSONValue.parse("12.0") == .number(12))
        #expect(JSONValue.parse("1e2") == .number(100), "an exponent makes a number, even when the value is whole")
        #expect(JSONValue.parse("-0.0") == .number(-0.0))
    }

    @Test func surrogatePairsDecodeAndLoneSurrogatesAreRefusedOrCleaned() throws {
        #expect(JSONValue.parse(#""\ud83d\ude00""#) == .string("😀"))
        for lone in [#""\ud800""#, #""\udc00""#, #""\ud800x""#, #""\ud800\u0041""#] {
            #expect(JSONValue.parse(lone) == nil, "strict parse refuses \(lone)")
            let cleaned = try #require(JSONValue.parseUntrusted(Array(lone.utf8)), "\(lone)")
            #expect(cleaned.cleaned)
            #expect(cleaned.value.stringValue?.contains("\u{FFFD}") == true, "\(lone) → \(cleaned.value)")
        }
        #expect(JSONValue.parse([0x22, 0xFF, 0x22]) == nil, "invalid UTF-8 is not JSON text")
    }

    /// Foundation keeps the first of duplicate keys; this parser keeps the last, as most JSON parsers do.
    @Test func duplicateKeysKeepTheLastValue() {
        #expect(JSONValue.parse(#"{"a":1,"a":2}"#)?.objectValue?["a"] == .integer(2))
    }
}
