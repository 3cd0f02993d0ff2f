import BotCore
import FoundationEssentials
import Testing

/// The bot beside the people at the desk: pauses, hand-backs, requests for a person, and the words that reveal them.
@Suite struct ShoroHandoffTests {
    static let fourHours: Double = 4 * 3600
    /// 09:00–18:00 in Bishkek (UTC+6).
    static let hours = ShoroTeamHours(start: 9 * 60, end: 18 * 60, utcOffsetMinutes: 360)

    static func humanRequest(_ text: String = "позовите оператора", hours: ShoroTeamHours? = nil) -> ShoroDialog.Event {
        .humanRequest(text, teamHours: hours, pauseSeconds: Self.fourHours)
    }

    @Test(arguments: [
        ShoroDialog.State.initial, .waitingReuse, .waitingAddress, .waitingPhone, .waitingBottles,
        .waitingConfirmation, .waitingCorrection,
    ])
    func anOperatorsMessageSilencesTheBotUntilHandedBackThenItResumesAtTheSameStep(state: ShoroDialog.State) {
        var conversation = Conversation.at(state)
        let before = conversation.dialog
        conversation.dialog.pause(.operatorReplied, at: conversation.now, seconds: Self.fourHours)
        #expect(conversation.dialog.isPaused(at: conversation.now))
        for text in ["алло?", Conversation.address, "0555 123 456", "3", "да", "отмена", "заново"] {
            #expect(conversation.send(text) == [], "\(text) answered while paused at \(state)")
        }
        conversation.sendNonText()
        #expect(conversation.dialog.state == state, "the step did not change while paused")
        #expect(conversation.dialog.address == before.address && conversation.dialog.phone == before.phone)
        #expect(conversation.dialog.messageCount == before.messageCount + 8, "paused messages still count")
        #expect(conversation.dialog.pause?.reason == .operatorReplied)

        let wasPaused = conversation.dialog.handBack()
        #expect(wasPaused)
        #expect(!conversation.dialog.isPaused(at: conversation.now) && conversation.dialog.pause == nil)
        let resumed = conversation.send("?")
        if let question = before.currentQuestion {
            #expect(resumed.contains(.reply(question)) || !resumed.isEmpty, "no answer after the hand-back at \(state)")
        } else {
            #expect(resumed.first == .reply(.greeting))
        }
        let again = conversation.dialog.handBack()
        #expect(!again, "a second hand-back finds no pause")
    }

    @Test func aPauseEndsByItselfAfterItsTime() {
        var conversation = Conversation.at(.waitingPhone)
        conversation.dialog.pause(.operatorReplied, at: conversation.now, seconds: 600)
        #expect(conversation.send("0555 123 456") == [])  // one minute later: still paused
        conversation.now = conversation.now.addingTimeInterval(600)
        #expect(conversation.send("0555 123 456") == [.reply(.askBottles)], "at the step it was in, after the pause")
        #expect(conversation.dialog.pause == nil)
    }

    @Test func anotherOperatorMessageExtendsThePauseAndKeepsItsReason() {
        var dialog = ShoroDialog(id: "m", startedAt: Conversation.start, returning: nil)
        let start = Conversation.start
        dialog.pause(.humanRequested, at: start, seconds: 600)
        dialog.pause(.operatorReplied, at: start.addingTimeInterval(300), seconds: 600)
        #expect(dialog.pause == ShoroPause(reason: .humanRequested, since: start, until: start.addingTimeInterval(900)))
        #expect(dialog.isPaused(at: start.addingTimeInterval(899)) && !dialog.isPaused(at: start.addingTimeInterval(900)))
    }

    @Test(arguments: [
        ShoroDialog.State.initial, .waitingReuse, .waitingAddress, .waitingPhone, .waitingBottles,
        .waitingConfirmation, .waitingCorrection,
    ])
    func aRequestForAPersonInAnyStepIsAcknowledgedPausesAndNotifiesTheTeamOnce(state: ShoroDialog.State) {
        var conversation = Conversation.at(state)
        conversation.now = conversation.now.addingTimeInterval(60)
        let effects = conversation.dialog.handle(Self.humanRequest(), now: conversation.now)
        #expect(effects == [.reply(.humanRequested), .notifyTeam(.humanRequested)])
        #expect(conversation.dialog.pause?.reason == .humanRequested)
        #expect(conversation.dialog.pause?.until == conversation.now.addingTimeInterval(Self.fourHours))
        #expect(conversation.dialog.state == state)
        // Asking again while waiting for the person: nothing more (the team was told once).
        #expect(conversation.dialog.handle(Self.humanRequest("оператор!!!"), now: conversation.now) == [])
        #expect(conversation.send("ну где же") == [])
    }

    @Test func outsideTheTeamsHoursTheAcknowledgementSaysWhenTheyWork() {
        // 1_750_000_000 is 2025-06-15 15:06 UTC: 21:06 in Bishkek, after hours.
        var dialog = ShoroDialog(id: "m", startedAt: Conversation.start, returning: nil)
        let effects = dialog.handle(Self.humanRequest("operator please", hours: Self.hours), now: Conversation.start)
        #expect(effects == [.reply(.humanRequestedOffHours(hours: "09:00–18:00")), .notifyTeam(.humanRequested)])
        #expect(dialog.language == .en)
        var morning = ShoroDialog(id: "m", startedAt: Conversation.start, returning: nil)
        let at = Conversation.start.addingTimeInterval(13 * 3600)  // 10:06 in Bishkek
        #expect(morning.handle(Self.humanRequest(hours: Self.hours), now: at).first == .reply(.humanRequested))
    }

    @Test func teamHoursInTheTeamsTimeZoneAlsoAcrossMidnight() {
        func at(_ utcHour: Int, _ minute: Int = 0) -> Date { Date(timeIntervalSince1970: Double(utcHour * 3600 + minute * 60)) }
        #expect(!Self.hours.contains(at(2, 59)))  // 08:59 in Bishkek
        #expect(Self.hours.contains(at(3)))  // 09:00
        #expect(Self.hours.contains(at(11, 59)))  // 17:59
        #expect(!Self.hours.contains(at(12)))  // 18:00
        let night = ShoroTeamHours(start: 22 * 60, end: 6 * 60, utcOffsetMinutes: 0)
        #expect(night.contains(at(23)) && night.contains(at(5, 59)) && !night.contains(at(6)) && !night.contains(at(21)))
        #expect(night.display == "22:00–06:00")
    }

    @Test func aPausedDialogRoundTripsThroughJSONAndOldDialogsDecodeUnpaused() throws {
        var dialog = Conversation.at(.waitingBottles).dialog
        dialog.pause(.manual, at: Conversation.start, seconds: 60)
        let decoded = try JSONDecoder().decode(ShoroDialog.self, from: JSONEncoder().encode(dialog))
        #expect(decoded == dialog && decoded.pause?.reason == .manual)
        // A dialog stored before pauses existed has no "pause" key.
        let old = try JSONEncoder().encode(Conversation.at(.waitingPhone).dialog)
        #expect(!String(decoding: old, as: UTF8.self).contains("pause"))
        let stored = try JSONDecoder().decode(ShoroDialog.self, from: old)
        #expect(stored.pause == nil && stored.state == ShoroDialog.State.waitingPhone)
    }

    @Test(arguments: [
        ("позовите оператора", ShoroIntent.human), ("Оператор!", .human), ("можно с менеджером поговорить?", .human),
        ("позовите человека пожалуйста", .human), ("адам менен сүйлөшкүм келет", .human), ("менеджер менен", .human),
        ("I want a human", .human), ("operator", .human), ("can I talk to a person", .human),
        ("где мой заказ?", .orderStatus), ("Где мой заказ", .orderStatus), ("заказым кайда", .orderStatus),
        ("where is my order?", .orderStatus), ("Where's my order", .orderStatus),
    ])
    func theCatalogsWordsRevealTheIntentInEveryLanguage(text: String, intent: ShoroIntent) throws {
        #expect(try ShoroTextsTests.bundledTexts().intent(of: text) == intent)
    }

    @Test(arguments: [
        "ул. Операторская 5", "ул. Киевская 95, кв. 12", "0555 123 456", "3", "да", "нет", "человек 5",
        "Humanitarian st. 12", "отмена", "заказ", "",
    ])
    func ordinaryAnswersRevealNoIntent(text: String) throws {
        #expect(try ShoroTextsTests.bundledTexts().intent(of: text) == nil)
    }

    @Test func aCatalogWithAnEmptyPhraseIsRefused() throws {
        var json: [ShoroLanguage: Data] = [:]
        for language in ShoroLanguage.allCases {
            var catalog = try ShoroTextsTests.catalog(language)
            if language == .en { catalog["humanRequestPhrases"] = "operator||human" }
            json[language] = try JSONEncoder().encode(catalog)
        }
        #expect(throws: ShoroTextsError.invalidText("humanRequestPhrases", language: .en, rule: "has an empty phrase")) {
            try ShoroTexts(json: json)
        }
    }

    @Test(arguments: ShoroOrderStatus.allCases)
    func theOrderStatusAndTeamNotesRenderInEveryLanguage(status: ShoroOrderStatus) throws {
        let texts = try ShoroTextsTests.bundledTexts()
        for language in ShoroLanguage.allCases {
            let text = texts.render(.orderStatus(order: "42", status: status, bottles: 3), language: language)
            #expect(text.contains("42") && text.contains("3") && !text.contains("{"), "\(language): \(text)")
        }
        let note = texts.render(
            .teamNewOrder(order: "{order}", address: "ул. Киевская 95", phone: "0555 123 456", bottles: 2, time: "{time}"),
            language: ShoroTexts.teamLanguage)
        #expect(note.contains("{order}") && note.contains("{time}") && note.contains("ул. Киевская 95") && note.contains("0555 123 456"))
    }
}
