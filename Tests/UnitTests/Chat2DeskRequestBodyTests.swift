import Messages
import Testing

@testable import Clients

/// The body of a Chat2Desk send: the stored payload with our `external_id`, whether it is spliced into PostgreSQL's
/// text of the object or parsed and written again. Either way it must be the payload's object plus that one member.
@Suite("Chat2Desk request body")
struct Chat2DeskRequestBodyTests {
    static let externalID = "outbox-42"

    /// The payload's object with `external_id` set, as the old parse-and-serialise path built it.
    func expected(_ payload: String) -> JSONValue? {
        guard var object = JSONValue.parse(payload)?.objectValue else { return nil }
        object["external_id"] = .string(Self.externalID)
        return .object(object)
    }

    func body(_ payload: String) -> JSONValue? {
        Chat2DeskClient.requestBody(payload: payload, externalID: Self.externalID).flatMap {
            JSONValue.parse(String(decoding: $0, as: UTF8.self))
        }
    }

    @Test(arguments: [
        // As PostgreSQL writes a jsonb object: a space after each colon and comma, keys sorted by length.
        #"{"text": "Здравствуйте! Напишите адрес", "type": "to_client", "client_id": "5000123", "transport": "whatsapp"}"#,
        #"{"type":"to_client","client_id":5000123,"text":"a \"quoted\" {brace}, comma","channel_id":777}"#,
        "{}", "{ }", "  {\"text\": \"padded\"}\n",
        #"{"text": "nested", "extra": {"a": [1, {"b": null}]}}"#,
        // An id already there is replaced, not doubled.
        #"{"text": "again", "external_id": "outbox-1"}"#,
    ])
    func theBodyIsThePayloadWithOurExternalID(payload: String) throws {
        let body = try #require(self.body(payload), "the body is not JSON: \(payload)")
        #expect(body == self.expected(payload))
        let bytes = try #require(Chat2DeskClient.requestBody(payload: payload, externalID: Self.externalID))
        #expect(bytes.ranges(of: Array(#""external_id""#.utf8)).count == 1, "one external_id in \(String(decoding: bytes, as: UTF8.self))")
    }

    @Test(arguments: ["[1, 2]", "\"text\"", "", "null", "{\"text\":"])
    func aPayloadThatIsNotAnObjectIsRefused(payload: String) {
        #expect(Chat2DeskClient.requestBody(payload: payload, externalID: Self.externalID) == nil)
    }
}
