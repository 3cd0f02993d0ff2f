import BotCore
import FoundationEssentials
import Testing

@Suite struct TelegramUpdateTests {
    static func decode(_ json: String) throws -> TelegramUpdate {
        try JSONDecoder().decode(TelegramUpdate.self, from: Data(json.utf8))
    }

    static func route(_ json: String) throws -> TelegramRoute { try Self.decode(json).route }

    static func message(
        _ body: String,
        chatType: String = "private",
        from: String = #""from": {"id": 123456789, "is_bot": false, "first_name": "Анна", "language_code": "ru"}"#
    ) -> String {
        #"{"update_id": 700000001, "message": {"message_id": 42, "date": 1767000000, \#(from), "chat": {"id": 123456789, "type": "\#(chatType)", "first_name": "Анна"}, \#(body)}}"#
    }

    static func event(_ route: TelegramRoute) -> AcademyDialog.Event? {
        if case .dialog(let inbound) = route { inbound.event } else { nil }
    }

    @Test func contactFromTheReferenceDecodes() throws {
        let json = Self.message(
            #""contact": {"phone_number": "+79990001122", "first_name": "Анна", "user_id": 123456789}"#
        )
        guard case .dialog(let inbound) = try Self.route(json) else {
            Issue.record("expected a dialog event")
            return
        }
        #expect(inbound.updateID == 700_000_001)
        #expect(inbound.userID == 123_456_789)
        #expect(inbound.chatID == 123_456_789)
        #expect(inbound.languageCode == "ru")
        #expect(inbound.firstName == "Анна")
        #expect(inbound.event == .contact(phoneNumber: "+79990001122", userID: 123_456_789))
    }

    @Test(arguments: [
        ("/start", AcademyDialog.Event.start(payload: nil, languageCode: "ru")),
        ("/start lead_abc-123", .start(payload: "lead_abc-123", languageCode: "ru")),
        ("/start@AllInAcademyBot lead_x", .start(payload: "lead_x", languageCode: "ru")),
        ("  /start  ", .start(payload: nil, languageCode: "ru")),
        ("/ai", .ai(question: nil)),
        ("/ai Сколько длится урок?", .ai(question: "Сколько длится урок?")),
        ("/AI@AllInAcademyBot hi", .ai(question: "hi")),
        ("/help", .text("/help")),
        ("/starting", .text("/starting")),
        ("anna@example.com", .text("anna@example.com")),
    ])
    func textAndCommands(text: String, expected: AcademyDialog.Event) throws {
        let body = #""text": \#(String(decoding: try JSONEncoder().encode(text), as: UTF8.self))"#
        #expect(Self.event(try Self.route(Self.message(body))) == expected)
    }

    @Test func voiceAndVideoNoteBecomeAudio() throws {
        let voice = Self.message(
            #""voice": {"file_id": "AwACAgIAAxk", "file_unique_id": "u1", "duration": 7, "mime_type": "audio/ogg", "file_size": 23456}"#
        )
        #expect(
            Self.event(try Self.route(voice))
                == .voice(.init(kind: .voice, fileID: "AwACAgIAAxk", durationSeconds: 7, fileSize: 23456))
        )
        let note = Self.message(
            #""video_note": {"file_id": "DQAC", "file_unique_id": "u2", "length": 240, "duration": 12}"#
        )
        #expect(
            Self.event(try Self.route(note))
                == .voice(.init(kind: .videoNote, fileID: "DQAC", durationSeconds: 12, fileSize: nil))
        )
    }

    @Test func photoAndStickerAreUnsupported() throws {
        let photo = Self.message(#""photo": [{"file_id": "p", "file_unique_id": "u", "width": 90, "height": 90}]"#)
        #expect(Self.event(try Self.route(photo)) == .unsupported)
        let sticker = Self.message(#""sticker": {"file_id": "s", "emoji": "👍"}"#)
        #expect(Self.event(try Self.route(sticker)) == .unsupported)
    }

    @Test func callbackQueryDecodes() throws {
        let json =
            #"{"update_id": 5, "callback_query": {"id": "4382bfdwdsb323b2d9", "from": {"id": 77, "is_bot": false, "first_name": "Ann", "language_code": "en-GB"}, "message": {"message_id": 310, "date": 1767000000, "chat": {"id": 77, "type": "private"}, "text": "Choose a day:"}, "chat_instance": "-123", "data": "d:3:20250617"}}"#
        guard case .dialog(let inbound) = try Self.route(json) else {
            Issue.record("expected a dialog event")
            return
        }
        #expect(inbound.userID == 77)
        #expect(inbound.chatID == 77)
        #expect(inbound.languageCode == "en-GB")
        #expect(inbound.event == .callback(.init(id: "4382bfdwdsb323b2d9", data: "d:3:20250617", messageID: 310)))
    }

    @Test func callbackOnAnInaccessibleMessageCannotEditIt() throws {
        let json =
            #"{"update_id": 6, "callback_query": {"id": "q", "from": {"id": 77, "is_bot": false, "first_name": "Ann"}, "message": {"message_id": 9, "date": 0, "chat": {"id": 77, "type": "private"}}, "chat_instance": "-1", "data": "ret"}}"#
        #expect(Self.event(try Self.route(json)) == .callback(.init(id: "q", data: "ret", messageID: nil)))
        let noMessage =
            #"{"update_id": 7, "callback_query": {"id": "q", "from": {"id": 77, "is_bot": false, "first_name": "Ann"}, "inline_message_id": "abc", "chat_instance": "-1"}}"#
        guard case .dialog(let inbound) = try Self.route(noMessage) else {
            Issue.record("expected a dialog event")
            return
        }
        #expect(inbound.chatID == 77)
        #expect(inbound.event == .callback(.init(id: "q", data: nil, messageID: nil)))
    }

    @Test(arguments: [
        (
            #"{"update_id": 1, "edited_message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}, "text": "x"}}"#,
            TelegramIgnoreReason.editedMessage
        ),
        (
            #"{"update_id": 1, "channel_post": {"message_id": 1, "date": 1, "chat": {"id": -100, "type": "channel"}, "text": "x"}}"#,
            .channelPost
        ),
        (
            #"{"update_id": 1, "edited_channel_post": {"message_id": 1, "date": 1, "chat": {"id": -100, "type": "channel"}}}"#,
            .channelPost
        ),
        (#"{"update_id": 1, "my_chat_member": {"chat": {"id": 1, "type": "private"}, "date": 1}}"#, .otherKind),
        (#"{"update_id": 1, "inline_query": {"id": "1", "query": "x"}}"#, .otherKind),
        (#"{"update_id": 1}"#, .otherKind),
        (#"{"update_id": 1, "message": {"message_id": "not a number"}}"#, .malformed),
        (
            #"{"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": {"id": -5, "type": "group"}, "from": {"id": 1, "is_bot": false, "first_name": "A"}, "text": "hi"}}"#,
            .notPrivateChat
        ),
        (
            #"{"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}, "text": "hi"}}"#,
            .noUser
        ),
        (
            #"{"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}, "from": {"id": 1, "is_bot": true, "first_name": "B"}, "text": "hi"}}"#,
            .noUser
        ),
    ])
    func ignoredUpdates(json: String, reason: TelegramIgnoreReason) throws {
        #expect(try Self.route(json) == .ignore(reason))
    }

    @Test func unknownKeysAndLargeIdsAreFine() throws {
        let json =
            #"{"update_id": 9007199254740, "future_field": {"a": [1, 2]}, "message": {"message_id": 1, "date": 1, "chat": {"id": -1001234567890123, "type": "private"}, "from": {"id": 8123456789012, "is_bot": false, "first_name": "A", "is_premium": true}, "text": "hi", "entities": [], "link_preview_options": {}}}"#
        guard case .dialog(let inbound) = try Self.route(json) else {
            Issue.record("expected a dialog event")
            return
        }
        #expect(inbound.userID == 8_123_456_789_012)
        #expect(inbound.chatID == -1_001_234_567_890_123)
        #expect(inbound.languageCode == nil)
    }

    @Test func missingUpdateIDIsADecodingError() {
        #expect(throws: DecodingError.self) { try Self.decode(#"{"message": {}}"#) }
    }
}
