import BotCore
import FoundationEssentials
import Testing

@Suite struct AcademyDialogRegistrationTests {
    typealias Fixtures = AcademyFixtures
    static let texts = AcademyFixtures.texts

    @Test func startSendsWelcomeVideoNoteAndConsent() {
        var chat = AcademyChat()
        let effects = chat.send(.start(payload: nil, languageCode: "ru"))
        #expect(
            effects == [
                .send(Self.texts.message(.welcome, .ru, markup: .removeKeyboard)),
                .sendVideoNote(fileID: Fixtures.videoNote),
                .send(
                    Self.texts.message(
                        .consentRequest,
                        .ru,
                        markup: .inline(
                            InlineKeyboard(rows: [
                                [
                                    InlineButton(text: "✅ Согласен(на)", callback: .consentAccept),
                                    InlineButton(text: "Не согласен(на)", callback: .consentDecline),
                                ]
                            ])
                        )
                    )
                ),
            ]
        )
        #expect(chat.state.step == .awaitingConsent)
        #expect(chat.state.deepLinkRef == nil)
    }

    @Test func startWithoutVideoNoteConfiguredSkipsIt() {
        var settings = Fixtures.settings
        settings.welcomeVideoNoteFileID = nil
        var chat = AcademyChat(dialog: AcademyDialog(settings: settings))
        let effects = chat.send(.start(payload: nil, languageCode: "ru"))
        #expect(effects.keys == [.welcome, .consentRequest])
        #expect(effects.count == 2)
    }

    @Test func deepLinkIsKeptForTheLookup() {
        var chat = AcademyChat()
        chat.send(.start(payload: "lead_Tk7x-91", languageCode: "ru"))
        #expect(chat.state.deepLinkRef == "Tk7x-91")
        chat.press(.consentAccept)
        chat.text("+7 999 000-11-22")
        let effects = chat.text("anna@example.com")
        #expect(effects == [.lookupLead(email: "anna@example.com", phone: "+79990001122", deepLinkRef: "Tk7x-91")])
    }

    @Test(arguments: ["promo_1", "lead_", "lead_a b", String(repeating: "x", count: 65)])
    func invalidPayloadIsPlainStart(payload: String) {
        var chat = AcademyChat()
        let effects = chat.send(.start(payload: payload, languageCode: "ru"))
        #expect(effects.keys == [.welcome, .consentRequest])
        #expect(chat.state.deepLinkRef == nil)
    }

    @Test func englishClientGetsEnglish() {
        var chat = AcademyChat(languageCode: "en-US")
        let effects = chat.send(.start(payload: nil, languageCode: "en-US"))
        #expect(effects.messages.first?.text.hasPrefix("Hello! This is All In Academy") == true)
        #expect(chat.state.language == .en)
    }

    @Test func startSwitchesLanguageWithTheClient() {
        var chat = AcademyChat.at(.awaitingPhone)
        chat.send(.start(payload: nil, languageCode: "en"))
        #expect(chat.state.language == .en)
        chat.send(.start(payload: nil, languageCode: nil))
        #expect(chat.state.language == .en)
    }

    @Test func anyMessageBeforeStartOpensTheWelcome() {
        for event in [
            AcademyDialog.Event.text("Здравствуйте"), .unsupported,
            .contact(phoneNumber: "+79990001122", userID: Fixtures.userID),
        ] {
            var chat = AcademyChat()
            #expect(chat.send(event).keys == [.welcome, .consentRequest])
            #expect(chat.state.step == .awaitingConsent)
        }
    }

    @Test func acceptingConsentAsksForThePhoneWithAContactButton() {
        var chat = AcademyChat.at(.awaitingConsent)
        let effects = chat.press(.consentAccept)
        #expect(
            effects == [
                .answerCallback(id: "cb1", text: nil),
                .send(Self.texts.message(.askPhone, .ru, markup: .requestContact(buttonText: "📱 Отправить мой номер"))),
            ]
        )
        #expect(chat.state.step == .awaitingPhone)
    }

    @Test func decliningExplainsAndOffersToComeBack() {
        var chat = AcademyChat.at(.awaitingConsent)
        let effects = chat.press(.consentDecline)
        #expect(effects.keys == [.consentDeclined])
        #expect(effects.buttons.map(\.callbackData) == ["gdpr:y"])
        #expect(chat.state.step == .consentDeclined)
        #expect(chat.press(.consentAccept).keys == [.askPhone])
        #expect(chat.state.step == .awaitingPhone)
    }

    @Test(arguments: [
        ("+7 (999) 000-11-22", "+79990001122"), ("8 999 000 11 22", "+79990001122"),
        ("+44 20 7946 0958", "+442079460958"),
    ])
    func typedPhoneIsNormalisedAndEmailAsked(input: String, phone: String) {
        var chat = AcademyChat.at(.awaitingPhone)
        #expect(chat.text(input) == [.send(Self.texts.message(.askEmail, .ru, markup: .removeKeyboard))])
        #expect(chat.state.phone == phone)
        #expect(chat.state.step == .awaitingEmail)
    }

    @Test(arguments: ["12345", "мой номер", "+7 999 abc", "сколько стоит?"])
    func invalidPhoneRepromptsWithTheButton(input: String) {
        var chat = AcademyChat.at(.awaitingPhone)
        let effects = chat.text(input)
        #expect(effects.keys == [.invalidPhone])
        #expect(effects.messages.first?.markup == .requestContact(buttonText: "📱 Отправить мой номер"))
        #expect(chat.state.step == .awaitingPhone)
        #expect(chat.state.phone == nil)
    }

    @Test(arguments: ["79990001122", "+79990001122"])
    func ownSharedContactIsTrusted(number: String) {
        var chat = AcademyChat.at(.awaitingPhone)
        #expect(chat.send(.contact(phoneNumber: number, userID: Fixtures.userID)).keys == [.askEmail])
        #expect(chat.state.phone == "+79990001122")
    }

    @Test(arguments: [Int64?.none, 1])
    func someoneElsesContactIsNotTrusted(owner: Int64?) {
        var chat = AcademyChat.at(.awaitingPhone)
        let effects = chat.send(.contact(phoneNumber: "+79990001122", userID: owner))
        #expect(effects.keys == [.contactNotOwn])
        #expect(chat.state.phone == nil)
        #expect(chat.state.step == .awaitingPhone)
    }

    @Test func contactOutsideThePhoneStepRepeatsTheQuestion() {
        var chat = AcademyChat.at(.awaitingEmail)
        #expect(chat.send(.contact(phoneNumber: "+79990001122", userID: Fixtures.userID)).keys == [.askEmail])
        #expect(chat.state.phone == "+79990001122")
    }

    @Test(arguments: [
        ("Anna@Example.com", "anna@example.com"), (" anna@example.com ", "anna@example.com"),
        ("anna at example dot com", "anna@example.com"), ("anna@example.com.", "anna@example.com"),
    ])
    func validEmailStartsTheDuplicateCheck(input: String, email: String) {
        var chat = AcademyChat.at(.awaitingEmail)
        #expect(chat.text(input) == [.lookupLead(email: email, phone: "+79990001122", deepLinkRef: nil)])
        #expect(chat.state.email == email)
        #expect(chat.state.step == .checkingLead)
    }

    @Test(arguments: ["anna", "anna@gmail", "anna@@mail.ru", "моя почта", "anna gmail.com"])
    func invalidEmailRepromptsWithAnExample(input: String) {
        var chat = AcademyChat.at(.awaitingEmail)
        let effects = chat.text(input)
        #expect(effects.keys == [.invalidEmail])
        #expect(effects.messages.first?.text.contains("anna@gmail.com") == true)
        #expect(chat.state.step == .awaitingEmail)
    }

    @Test func noLeadFoundAsksForTheName() {
        var chat = AcademyChat.at(.checkingLead)
        #expect(chat.send(.leadLookup(nil)).keys == [.askName])
        #expect(chat.state.step == .awaitingName)
        #expect(chat.state.leadID == nil)
    }

    @Test func leadWithoutLessonIsMergedAndItsChainCancelled() {
        var chat = AcademyChat.at(.checkingLead)
        let tilda = LeadSummary(id: 31, email: "anna@example.com", phone: nil, tgID: nil, status: .new, lesson: nil)
        #expect(chat.send(.leadLookup(tilda)).keys == [.askName])
        let effects = chat.text("Анна")
        #expect(
            effects.actions == [
                .upsertLead(
                    LeadUpsert(
                        tgID: Fixtures.userID,
                        chatID: Fixtures.userID,
                        leadID: 31,
                        deepLinkRef: nil,
                        name: "Анна",
                        phone: "+79990001122",
                        email: "anna@example.com",
                        language: .ru
                    )
                ),
                .cancelEmailChain(leadID: 31),
                .loadSlots(from: chat.now, days: 14),
            ]
        )
        #expect(effects.keys == [.registered])
        #expect(effects.messages.first?.text.hasPrefix("Приятно познакомиться, Анна!") == true)
        #expect(chat.state.step == .loadingSlots)
    }

    @Test func newLeadIsUpsertedAsDirectBotAndActivated() {
        var chat = AcademyChat.at(.awaitingName)
        let effects = chat.text("  Анна  Петровна ")
        guard case .upsertLead(let lead) = effects.first else {
            Issue.record("expected an upsert first, got \(effects)")
            return
        }
        #expect(lead.name == "Анна Петровна")
        #expect(lead.source == "direct_bot")
        #expect(lead.botActivated)
        #expect(lead.leadID == nil)
        #expect(!effects.contains { if case .cancelEmailChain = $0 { true } else { false } })
    }

    @Test(arguments: ["А", "Анна2", "anna@example.com", String(repeating: "я", count: 101)])
    func invalidNameStatesTheLimits(input: String) {
        var chat = AcademyChat.at(.awaitingName)
        let effects = chat.text(input)
        #expect(effects.keys == [.invalidName])
        #expect(effects.messages.first?.text == "Напишите, пожалуйста, имя буквами — от 2 до 100 символов.")
        #expect(chat.state.step == .awaitingName)
    }

    @Test func ownExistingLessonIsShownWithItsLink() {
        var chat = AcademyChat.at(.checkingLead)
        let lesson = Fixtures.lesson()
        let lead = LeadSummary(
            id: 8,
            email: "anna@example.com",
            phone: "+79990001122",
            tgID: nil,
            status: .scheduled,
            lesson: lesson
        )
        let effects = chat.send(.leadLookup(lead))
        #expect(effects.keys == [.alreadyBooked])
        #expect(
            effects.messages.first?.text
                == "Вы уже записаны на пробный урок: Вт 17.06 в 18:00.\nСсылка на урок: https://zoom.us/j/1750172400"
        )
        #expect(effects.buttons.map(\.callbackData) == ["rs:1750172400", "cl:1750172400"])
        #expect(
            effects.actions == [
                .upsertLead(
                    LeadUpsert(
                        tgID: Fixtures.userID,
                        chatID: Fixtures.userID,
                        leadID: 8,
                        deepLinkRef: nil,
                        name: nil,
                        phone: "+79990001122",
                        email: "anna@example.com",
                        language: .ru
                    )
                ),
                .cancelEmailChain(leadID: 8),
                .scheduleReminder(LessonReminder(kind: .before24h, tgID: Fixtures.userID, lesson: lesson)),
                .scheduleReminder(LessonReminder(kind: .before5h, tgID: Fixtures.userID, lesson: lesson)),
            ]
        )
        #expect(chat.state.step == .scheduled)
        #expect(chat.state.lesson == lesson)
    }

    @Test func lessonOfAnotherAccountIsNotHandedOver() {
        var chat = AcademyChat.at(.checkingLead)
        let lead = LeadSummary(
            id: 8,
            email: "anna@example.com",
            phone: "+70000000000",
            tgID: nil,
            status: .scheduled,
            lesson: Fixtures.lesson()
        )
        let effects = chat.send(.leadLookup(lead))
        #expect(effects.keys == [.bookedWithOtherContact])
        #expect(effects.messages.first?.text.contains(Fixtures.managerLink) == true)
        #expect(!effects.messages.contains { $0.text.contains("zoom.us") })
        #expect(effects.actions == [.notifyManager(.contactBookedElsewhere(tgID: Fixtures.userID, leadID: 8))])
        #expect(chat.state.step == .bookedElsewhere)
        #expect(chat.state.lesson == nil)
    }

    @Test func pastOrCancelledLessonDoesNotCount() {
        for lead in [
            LeadSummary(
                id: 8,
                email: "anna@example.com",
                phone: "+79990001122",
                tgID: nil,
                status: .scheduled,
                lesson: Fixtures.lesson(Fixtures.slot(day: 10, hourUTC: 15))
            ),
            LeadSummary(
                id: 8,
                email: "anna@example.com",
                phone: "+79990001122",
                tgID: nil,
                status: .cancelled,
                lesson: nil
            ),
        ] {
            var chat = AcademyChat.at(.checkingLead)
            #expect(chat.send(.leadLookup(lead)).keys == [.askName])
            #expect(chat.state.leadID == 8)
        }
    }

    @Test func waitingForTheLookupAsksAgainWhenPoked() {
        var chat = AcademyChat.at(.checkingLead)
        let effects = chat.text("ау?")
        #expect(effects.keys == [.pleaseWait])
        #expect(effects.actions == [.lookupLead(email: "anna@example.com", phone: "+79990001122", deepLinkRef: nil)])
        #expect(chat.state.step == .checkingLead)
    }

    @Test func lateResultsAreIgnored() {
        var chat = AcademyChat.at(.awaitingName)
        let before = chat.state
        #expect(chat.send(.leadLookup(nil)).isEmpty)
        #expect(chat.send(.slotsLoaded(Fixtures.freeSlots)).isEmpty)
        #expect(chat.send(.slotsUnavailable).isEmpty)
        #expect(chat.send(.bookingFailed(.unavailable)).isEmpty)
        #expect(chat.state == before)
    }

    @Test func restartClearsRegistrationButNotOldButtons() {
        var chat = AcademyChat.at(.choosingDate)
        chat.send(.start(payload: nil, languageCode: "ru"))
        #expect(chat.state.step == .awaitingConsent)
        #expect(chat.state.phone == nil && chat.state.email == nil && chat.state.name == nil)
        #expect(chat.state.pickerGeneration == 1)
        let effects = chat.press(.date(generation: 1, day: "20250617"))
        #expect(effects.callbackAnswers == ["Эта кнопка устарела"])
        #expect(effects.keys == [.consentRequest])
    }
}
