import BotCore
import Testing

@Suite struct ShoroDialogFlowTests {
    static let summary = ShoroReply.summary(address: Conversation.address, phone: "+996 555 123 456", bottles: 3)

    @Test func firstMessageGreetsAndAsksForTheAddress() {
        var conversation = Conversation()
        let effects = conversation.send("здравствуйте")
        #expect(effects == [.reply(.greeting), .reply(.askAddress)])
        #expect(conversation.dialog.state == .waitingAddress)
    }

    @Test func validAddressIsStoredAndPhoneIsAsked() {
        var conversation = Conversation.at(.waitingAddress)
        #expect(conversation.send("  ул. Киевская   95,\nкв. 12 ") == [.reply(.askPhone)])
        #expect(conversation.dialog.state == .waitingPhone)
        #expect(conversation.dialog.address == Conversation.address)
    }

    @Test(arguments: ["ул 5", "12345 67", String(repeating: "улица ", count: 40)])
    func invalidAddressStatesTheLengthLimits(input: String) {
        var conversation = Conversation.at(.waitingAddress)
        #expect(conversation.send(input) == [.reply(.invalidAddress(minLength: 5, maxLength: 200))])
        #expect(conversation.dialog.state == .waitingAddress)
        #expect(conversation.dialog.address == nil)
    }

    @Test func greetingInsteadOfAddressRepeatsTheQuestion() {
        var conversation = Conversation.at(.waitingAddress)
        #expect(conversation.send("Хочу заказать воду") == [.reply(.askAddress)])
        #expect(conversation.dialog.state == .waitingAddress)
    }

    @Test func validPhoneIsNormalisedAndBottlesAreAsked() {
        var conversation = Conversation.at(.waitingPhone)
        #expect(conversation.send("+996 (555) 12-34-56") == [.reply(.askBottles)])
        #expect(conversation.dialog.state == .waitingBottles)
        #expect(conversation.dialog.phone == "+996555123456")
    }

    @Test(arguments: ["0555 12", "+7 701 123 4567", "мой телефон", "завтра"])
    func invalidPhoneRepromptsWithAnExample(input: String) {
        var conversation = Conversation.at(.waitingPhone)
        #expect(conversation.send(input) == [.reply(.invalidPhone)])
        #expect(conversation.dialog.state == .waitingPhone)
        #expect(conversation.dialog.phone == nil)
    }

    @Test func validBottleCountShowsTheSummary() {
        var conversation = Conversation.at(.waitingBottles)
        #expect(conversation.send("3 бутыли") == [.reply(Self.summary)])
        #expect(conversation.dialog.state == .waitingConfirmation)
        #expect(conversation.dialog.bottles == 3)
    }

    @Test(arguments: ["0", "51", "-2", "много", "2 или 3"])
    func invalidBottleCountStatesTheRange(input: String) {
        var conversation = Conversation.at(.waitingBottles)
        #expect(conversation.send(input) == [.reply(.invalidBottles(min: 1, max: 50))])
        #expect(conversation.dialog.state == .waitingBottles)
        #expect(conversation.dialog.bottles == nil)
    }

    @Test func yesCreatesTheOrderThanksAndRecordsCompletion() {
        var conversation = Conversation.at(.waitingConfirmation)
        let effects = conversation.send("Да, всё верно")
        let draft = ShoroOrderDraft(
            dialogID: "msg-1#0", address: Conversation.address, phone: "+996555123456", bottles: 3, language: .ru
        )
        let outcome = DialogOutcome(
            kind: .completed, dropoffState: "waitingConfirmation", totalMessages: 5, durationSeconds: 300
        )
        #expect(effects == [.createOrder(draft), .reply(.orderAccepted), .recordOutcome(outcome)])
        #expect(conversation.dialog.state == .completed)
        #expect(conversation.dialog.isFinished)
        #expect(conversation.dialog.outcome == outcome)
    }

    @Test(arguments: ["может быть", "3", "хм"])
    func unclearConfirmationAsksForYesOrNo(input: String) {
        var conversation = Conversation.at(.waitingConfirmation)
        #expect(conversation.send(input) == [.reply(.confirmationUnclear)])
        #expect(conversation.dialog.state == .waitingConfirmation)
    }

    @Test(arguments: ["нет", "не верно", "туура эмес", "not correct", "👎"])
    func noAtConfirmationAsksWhatToChange(input: String) {
        var conversation = Conversation.at(.waitingConfirmation)
        #expect(conversation.send(input) == [.reply(.askCorrection)])
        #expect(conversation.dialog.state == .waitingCorrection)
    }

    @Test func kyrgyzCustomerIsServedInKyrgyzToTheEnd() {
        var conversation = Conversation()
        conversation.send("Саламатсызбы")
        #expect(conversation.dialog.language == .ky)
        conversation.send("Ахунбаева 12")
        conversation.send("0555123456")
        conversation.send("беш")
        let effects = conversation.send("ооба")
        #expect(effects.orders.first?.bottles == 5)
        #expect(effects.orders.first?.language == .ky)
        #expect(conversation.dialog.language == .ky)
    }

    @Test func englishCustomerIsDetectedFromTheFirstMessage() {
        var conversation = Conversation()
        conversation.send("Hi, I need water")
        #expect(conversation.dialog.language == .en)
    }

    @Test func customerSwitchingLanguageMidDialogIsAnsweredInTheNewOne() {
        var conversation = Conversation.at(.waitingPhone)
        #expect(conversation.send("sorry, what number?") == [.reply(.invalidPhone)])
        #expect(conversation.dialog.language == .en)
    }

    @Test func streetNameWithKyrgyzLettersDoesNotSwitchLanguage() {
        var conversation = Conversation.at(.waitingAddress)
        conversation.send("пр. Чүй 100, кв. 3")
        #expect(conversation.dialog.language == .ru)
        #expect(conversation.dialog.address == "пр. Чүй 100, кв. 3")
    }

    @Test func languageOfAFirstMessageWithoutLettersIsDecidedLater() {
        var conversation = Conversation()
        conversation.send("👋")
        #expect(conversation.dialog.language == .ru)
        #expect(!conversation.dialog.languageSettled)
        conversation.send("Manas 12")
        #expect(conversation.dialog.language == .en)
        #expect(conversation.dialog.languageSettled)
    }
}
