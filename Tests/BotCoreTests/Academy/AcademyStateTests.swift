import BotCore
import FoundationEssentials
import Testing

@Suite struct AcademyStateTests {
    @Test(arguments: AcademyDialog.Step.allCases)
    func everyStateSurvivesStorage(step: AcademyDialog.Step) {
        let state = AcademyChat.at(step).state
        #expect(AcademyDialog.State.decode(state.encoded()) == state)
    }

    @Test func storedStateOfAnotherVersionIsDiscarded() throws {
        let json = String(decoding: AcademyChat.at(.scheduled).state.encoded(), as: UTF8.self)
        let older = json.replacing("\"version\":1", with: "\"version\":0")
        #expect(older != json)
        #expect(AcademyDialog.State.decode(Data(older.utf8)) == nil)
    }

    @Test(arguments: ["", "{}", "[]", "{\"version\":1}", "{\"version\":1,\"userID\":\"x\"}", "not json"])
    func unreadableStateIsDiscarded(json: String) {
        #expect(AcademyDialog.State.decode(Data(json.utf8)) == nil)
    }

    @Test func newStateIsAtTheStartInTheClientsLanguage() {
        let state = AcademyDialog.State(userID: 1, chatID: 2, languageCode: "en-GB")
        #expect(state.version == AcademyDialog.State.currentVersion)
        #expect(state.step == .new)
        #expect(state.language == .en)
        #expect(state.chatID == 2)
    }

    @Test func stepsAreStoredByName() throws {
        let json = String(decoding: AcademyChat.at(.awaitingEmail).state.encoded(), as: UTF8.self)
        #expect(json.contains("\"step\":\"awaitingEmail\""))
        #expect(AcademyDialog.Step.allCases.filter(\.isStrict) == [.awaitingPhone, .awaitingEmail, .awaitingName])
    }

    @Test func handleIsPureForTheSameInput() {
        let chat = AcademyChat.at(.choosingDate)
        let event = AcademyDialog.Event.callback(.init(id: "x", data: "d:1:20250617", messageID: 1))
        let first = chat.dialog.handle(chat.state, event, now: chat.now)
        let second = chat.dialog.handle(chat.state, event, now: chat.now)
        #expect(first.0 == second.0)
        #expect(first.1 == second.1)
    }
}

@Suite struct ReplyMarkupTests {
    static func json(_ markup: ReplyMarkup) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(markup), as: UTF8.self)
    }

    @Test func inlineKeyboardEncodesForTheBotAPI() throws {
        let markup = ReplyMarkup.inline(InlineKeyboard(rows: [[InlineButton(text: "Да", callback: .bookAgain)], []]))
        #expect(try Self.json(markup) == #"{"inline_keyboard":[[{"callback_data":"book","text":"Да"}]]}"#)
    }

    @Test func contactKeyboardEncodesForTheBotAPI() throws {
        #expect(
            try Self.json(.requestContact(buttonText: "📱"))
                == #"{"keyboard":[[{"request_contact":true,"text":"📱"}]],"one_time_keyboard":true,"resize_keyboard":true}"#
        )
        #expect(try Self.json(.removeKeyboard) == #"{"remove_keyboard":true}"#)
    }
}
