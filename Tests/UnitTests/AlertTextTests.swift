import Messages
import Testing

@testable import Storage

/// What an alert says: masked personal data and secrets, a title per kind, one Telegram message at most.
@Suite("Alert texts (pure)")
struct AlertTextTests {
    @Test(arguments: [
        ("order for +996555123456 failed", "order for +996*****3456 failed"),
        ("(+996555123456),", "(+996*****3456),"),
        ("mail anna.petrova@mail.kg.", "mail a***@mail.kg."),
        ("key re_live_0123456789abcdefghijkl done", "key [redacted] done"),
        ("bot token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "bot token [redacted]"),
        ("job email1/7 after 8 attempt(s): HTTP 502", "job email1/7 after 8 attempt(s): HTTP 502"),
        ("queue shoro: 3 dead (was 2)\nnext line", "queue shoro: 3 dead (was 2)\nnext line"),
    ])
    func masking(_ text: String, _ expected: String) {
        #expect(Alerts.mask(text) == expected)
    }

    @Test func aMessageHasTheKindsTitleAndStaysShort() {
        let message = Alerts.message(kind: .stall, text: String(repeating: "x ", count: 4000))
        #expect(message.hasPrefix("⚠️ chatbots: Stalled: work is waiting [stall]\n"))
        #expect(message.count < 4096 && message.hasSuffix("…"))
    }

    @Test func thePayloadIsATelegramSendMessageToTheTeamChat() throws {
        let payload = try #require(JSONValue.parse(Alerts.payload(chatID: -100123, text: "a \"quoted\"\nline")))
        let params = payload.objectValue?["params"]?.objectValue
        #expect(payload.objectValue?["method"]?.stringValue == "sendMessage")
        #expect(params?["text"]?.stringValue == "a \"quoted\"\nline")
        #expect(params?["chat_id"] == .integer(-100123))
    }
}
