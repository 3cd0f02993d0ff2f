import Academy
import Curl
import Edge
import Foundation
import Glibc
import Messages
import Platform
import Postgres
import Redis
import TestSupport
import Testing

// Hostile bytes in webhook bodies: NUL and other control characters (JSON escapes, percent escapes, raw bytes),
// lone UTF-16 surrogates and invalid UTF-8. They are cleaned at the edge — control characters other than tab,
// line feed and carriage return are dropped, lone surrogates and invalid UTF-8 become U+FFFD — so the message
// is queued, answered and logged, never cut by libpq (NUL-terminated parameters) and dead-lettered.

/// True when `text` holds a control character the edge must have removed (Unicode Cc except tab, LF, CR).
private func hasStrippedControl(_ text: String) -> Bool {
    text.unicodeScalars.contains { ($0.value < 0x20 && ![0x09, 0x0A, 0x0D].contains($0.value)) || (0x7F...0x9F).contains($0.value) }
}

/// The parsers of the three webhooks, without a server.
@Suite("Hostile bytes at the webhook edge")
struct HostileBytesEdgeTests {
    private static func chat2desk(_ textJSON: [UInt8]) throws -> Chat2DeskInbound {
        let body =
            Array(#"{"hook_type":"inbox","type":"from_client","message_id":7,"client_id":9,"text":""#.utf8) + textJSON + Array("\"}".utf8)
        let event = try Chat2DeskWebhookParser.parse(body, receivedAt: 1)
        guard case .inbound(let message) = event else { throw StackError("not an inbound message: \(event)") }
        return message
    }

    @Test func chat2deskDropsEscapedControlCharactersAndKeepsTabsAndNewlines() throws {
        let message = try Self.chat2desk(
            Array(#"При\u0000вет\u0007!\tтаб\nстрока\r\u001b\u007f\b\f"#.utf8) + [0xC2, 0x85] + Array("end".utf8))
        #expect(message.text == "Привет!\tтаб\nстрока\rend")
        #expect(!message.text.unicodeScalars.contains("\0"))
        // What the drain reads back is the same text.
        #expect(Chat2DeskInbound(queuePayload: message.queuePayload) == message)
    }

    @Test func chat2deskReplacesLoneSurrogatesAndInvalidUTF8() throws {
        #expect(try Self.chat2desk(Array(#"a\ud800b"#.utf8)).text == "a\u{FFFD}b")
        #expect(try Self.chat2desk(Array(#"a\udc00b"#.utf8)).text == "a\u{FFFD}b")
        #expect(try Self.chat2desk(Array(#"a\ud800\u0041"#.utf8)).text == "a\u{FFFD}A")
        #expect(try Self.chat2desk(Array(#"a\ud800"#.utf8)).text == "a\u{FFFD}")
        #expect(try Self.chat2desk(Array(#"\ud83d\ude00"#.utf8)).text == "😀")
        #expect(try Self.chat2desk(Array("a".utf8) + [0xFF, 0xFE] + Array("b".utf8)).text == "a\u{FFFD}\u{FFFD}b")
        #expect(try Self.chat2desk(Array("a\\n".utf8) + [0xE2, 0x82] + Array("b".utf8)).text == "a\n\u{FFFD}b")
    }

    /// Found by the fuzzer: bytes dropped one by one could join their neighbours into a new control character
    /// (a lone C2, then C2 8C dropped, then 8B made U+008B). Cleaning works on the decoded string instead.
    @Test func droppingAControlNeverJoinsItsNeighboursIntoANewOne() throws {
        let texts: [[UInt8]] = [
            [0xC2, 0xC2, 0x8C, 0x8B], [0xC2] + Array(#"\u0000"#.utf8) + [0x8B], [0xC2] + Array(#"\u0085"#.utf8) + [0x85],
        ]
        for text in texts {
            let cleaned = try #require(try? Self.chat2desk(text).text, "\(text) was refused")
            #expect(!hasStrippedControl(cleaned), "\(text) became \(cleaned.unicodeScalars.map { String($0.value, radix: 16) })")
            #expect(cleaned == "\u{FFFD}\u{FFFD}", "\(text) became \(cleaned.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test func rawControlBytesInsideAJSONStringAreStillABadRequest() {
        // RFC 8259 forbids them unescaped: a malformed body, answered 400 (nothing to guess).
        let body =
            Array(#"{"hook_type":"inbox","type":"from_client","message_id":7,"client_id":9,"text":"a"#.utf8) + [0x00] + Array("b\"}".utf8)
        #expect(throws: Chat2DeskPayloadError.self) { try Chat2DeskWebhookParser.parse(body, receivedAt: 1) }
    }

    @Test func telegramUpdatesAreQueuedWithoutControlCharactersOrLoneSurrogates() throws {
        let body =
            #"{"update_id":5,"message":{"message_id":1,"chat":{"id":42,"type":"private"},"date":1,"text":"/start\u0000\u0001 \ud800ok","caption":"x"}}"#
        let inbound = try #require(try TelegramInbound.parse(Array(body.utf8)))
        #expect(inbound.updateID == 5 && inbound.chatID == 42)
        let update = try #require(JSONValue.parse(inbound.update)?.objectValue, "queued update: \(inbound.update)")
        #expect(update["message"]?.objectValue?["text"]?.stringValue == "/start \u{FFFD}ok")
        #expect(!inbound.update.contains("\\u0000") && !hasStrippedControl(inbound.update))
        // An ordinary update is queued exactly as Telegram sent it.
        let plain = #"{"update_id":6,"message":{"message_id":1,"chat":{"id":42,"type":"private"},"date":1,"text":"a\nb \"q\" ю"}}"#
        #expect(try TelegramInbound.parse(Array(plain.utf8))?.update == plain)
        // Invalid UTF-8 is replaced too.
        let raw =
            Array(#"{"update_id":7,"message":{"message_id":1,"chat":{"id":42,"type":"private"},"date":1,"text":"a"#.utf8) + [0xFF]
            + Array("\"}}".utf8)
        let replaced = try #require(try TelegramInbound.parse(raw))
        #expect(JSONValue.parse(replaced.update)?.objectValue?["message"]?.objectValue?["text"]?.stringValue == "a\u{FFFD}")
    }

    @Test func tildaFormFieldsAreCleanedInBothEncodings() throws {
        let form = try TildaPayload.fields(
            body: Array("Name=An%00na%07%0A&Comment=%FF%FEok&tranid=t%01x&Email=a%40b.com&Raw=a\u{0}b".utf8),
            contentType: "application/x-www-form-urlencoded")
        #expect(form["Name"] == "Anna\n")
        #expect(form["Comment"] == "\u{FFFD}\u{FFFD}ok")
        #expect(form["tranid"] == "tx")
        #expect(form["Raw"] == "ab")
        let json = try TildaPayload.fields(
            body: Array(#"{"Name":"Bo\u0000b\ud800","Email":"a@b.com","tranid":"t\u0002y","Na\u0000me2":"z"}"#.utf8),
            contentType: "application/json")
        #expect(json["Name"] == "Bob\u{FFFD}")
        #expect(json["tranid"] == "ty")
        #expect(json["Name2"] == "z")
        for (key, value) in form.merging(json, uniquingKeysWith: { a, _ in a }) {
            #expect(!hasStrippedControl(key) && !hasStrippedControl(value), "\(key)=\(value.debugDescription)")
        }
    }
}

extension HostileBytesEdgeTests {
    /// The fuzz target's seed corpus and every crash it once found (`fuzz/corpus`), replayed through the same checks
    /// by a plain build of `edge-fuzz`: answers 2xx/4xx with JSON, queued messages readable and clean.
    @Test(.stack) func theFuzzCorpusReplaysCleanly() throws {
        let corpus = try TestStack.root() + "/fuzz/corpus"
        let inputs = try FileManager.default.contentsOfDirectory(atPath: corpus).filter { !$0.hasPrefix(".") }
        #expect(inputs.count >= 10)
        let result = try TestStack.run(
            try TestStack.executable("edge-fuzz"), [corpus], environment: TestStack.childEnvironment(), timeout: 30)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("\(inputs.count) inputs replayed"), "stdout: \(result.stdout)")
    }
}

// MARK: End to end, inside the suites whose drainers they would otherwise race

extension ShoroEndToEndTests {
    /// NUL and friends, a lone surrogate and raw invalid UTF-8 in customer texts: each message is answered through
    /// the fake Chat2Desk, logged in `message_logs`, and none becomes a dead letter.
    @Test func hostileBytesInCustomerTextsAreAnsweredAndNeverDeadLettered() throws {
        let e2e = try E2EContext("hostile-bytes")
        defer { e2e.finish() }
        try e2e.startDrain()
        let client = TestStack.randomID()
        func body(_ messageID: Int64, _ text: [UInt8]) -> [UInt8] {
            Array(#"{"hook_type":"inbox","type":"from_client","message_id":\#(messageID),"client_id":\#(client),"text":""#.utf8)
                + text + Array(#"","transport":"whatsapp"}"#.utf8)
        }
        let texts: [(label: String, json: [UInt8])] = [
            ("NUL and control escapes", Array(#"Здравствуйте\u0000\u0001\u001b"#.utf8)),
            ("a lone surrogate", Array(#"ул. Киевская 95\ud800, кв 3"#.utf8)),
            ("invalid UTF-8", Array("0555 123 456".utf8) + [0xFF]),
        ]
        var messageIDs: [String] = []
        var replies = 0
        for (label, text) in texts {
            let messageID = TestStack.randomID()
            messageIDs.append(String(messageID))
            let response = try e2e.http.perform(
                HTTPRequest(
                    method: "POST", url: e2e.nginxURL + "/webhook/chat2desk?token=" + e2e.secret,
                    headers: [("Content-Type", "application/json")], body: body(messageID, text), connectTimeout: 2, totalTimeout: 5))
            #expect(response.status == 200, "\(label): \(response.status) \(response.text)")
            try #require(response.text.contains("\"queued\":true"), "\(label): \(response.text)")
            let dead = { try E2EContext.queue.deadLetters(on: e2e.redis).filter { $0.conversation == String(client) } }
            try e2e.wait("\(label): a successful message log or a dead letter") {
                try e2e.messageLogs(client).filter { $0.success }.count == messageIDs.count || !dead().isEmpty
            }
            let deadLetters = try dead()
            #expect(deadLetters.isEmpty, "\(label): dead-lettered: \(deadLetters.map(\.error))")
            try e2e.wait("\(label): a reply") { try e2e.delivered(client).count > replies }
            replies = try e2e.delivered(client).count
        }
        let logs = try e2e.messageLogs(client)
        #expect(logs.map(\.messageID) == messageIDs)
        #expect(logs.allSatisfy { $0.success }, "\(logs)")
        #expect(try e2e.deliveredTexts(client).prefix(2) == [e2e.texts.greeting, e2e.texts.askAddress])
        // The fake desk echoes every reply as an outbox hook: those queue behind and are handled (and ignored) too.
        try e2e.wait("the queue drained, echoes included") { try e2e.queued(String(client)).isEmpty }
    }
}

extension AcademyEndToEnd.AcademyBotEndToEndTests {
    /// `/start` with NUL and control escapes, then with a lone surrogate: both updates are answered and logged.
    @Test func hostileBytesInAnUpdateAreAnsweredAndNeverDeadLettered() throws {
        try self.startDrain()
        let user = self.newUser()
        let dead = { try InboundQueue.academy.deadLetters(on: self.redis).filter { $0.conversation == "tg:\(user.id)" } }
        for (label, text) in [("NUL and control escapes", #"/start\u0000\u0007"#), ("a lone surrogate", #"/start \ud800"#)] {
            let before = try self.messages(user).count
            self.nextUpdate += 1
            let update = self.nextUpdate
            let body =
                #"{"update_id":\#(update),"message":{"message_id":\#(update % 100000),"from":\#(self.from(user)),"chat":{"id":\#(user.id),"type":"private"},"date":1700000000,"text":"\#(text)"}}"#
            let response = try self.post(body)
            try #require(response.status == 200, "\(label): \(response.status) \(response.text)")
            try self.eventually("\(label): handled or dead-lettered") { try self.handled(update) || !dead().isEmpty }
            let deadLetters = try dead()
            #expect(deadLetters.isEmpty, "\(label): dead-lettered: \(deadLetters.map(\.error))")
            try self.waitForMessages(user, count: before + 1, label)
        }
        #expect((try self.texts(user).first)?.contains("All In Academy") == true, "the /start welcome")
    }
}

extension AcademyEndToEnd.AcademyLeadsEndToEndTests {
    /// A form with NUL, control characters and invalid UTF-8 (urlencoded), then one with NUL escapes and a lone
    /// surrogate (JSON): both leads are stored with the cleaned names, nothing is dead-lettered.
    @Test func hostileBytesInAFormAreCleanedAndTheLeadStored() throws {
        let urlencodedEmail = self.uniqueEmail("hostile-form")
        let jsonEmail = self.uniqueEmail("hostile-json")
        let cases: [(email: String, body: String, contentType: String, name: String)] = [
            (
                urlencodedEmail,
                "Name=An%00na%07%FF&Email=\(urlencodedEmail.replacingOccurrences(of: "@", with: "%40"))&tranid=\(TestStack.randomHex(10))&formid=f%00",
                "application/x-www-form-urlencoded", "Anna\u{FFFD}"
            ),
            (
                jsonEmail, #"{"Name":"Bo\u0000b\ud800","Email":"\#(jsonEmail)","tranid":"\#(TestStack.randomHex(10))\u0000"}"#,
                "application/json", "Bob\u{FFFD}"
            ),
        ]
        for (email, body, contentType, name) in cases {
            let response = try self.postTilda(body, contentType: contentType)
            try #require(response.status == 200, "\(contentType): \(response.status) \(response.text)")
            if self.processes.isEmpty { try self.startDrain() }
            let dead = { try InboundQueue.academy.deadLetters(on: self.redis).filter { $0.conversation == "lead:" + email } }
            try self.eventually("\(contentType): the lead or a dead letter") { try self.lead(email: email) != nil || !dead().isEmpty }
            let deadLetters = try dead()
            #expect(deadLetters.isEmpty, "\(contentType): dead-lettered: \(deadLetters.map(\.error))")
            #expect(try self.lead(email: email)?.name == name)
        }
    }
}
