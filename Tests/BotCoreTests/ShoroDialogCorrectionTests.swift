import BotCore
import Testing

@Suite struct ShoroDialogCorrectionTests {
    @Test(arguments: [
        ("1", ShoroDialog.State.waitingAddress, ShoroReply.askAddress, CorrectionField.address),
        ("адрес", .waitingAddress, .askAddress, .address),
        ("2", .waitingPhone, .askPhone, .phone),
        ("номер", .waitingPhone, .askPhone, .phone),
        ("3", .waitingBottles, .askBottles, .bottles),
        ("количество", .waitingBottles, .askBottles, .bottles),
    ])
    func choosingAFieldAsksForIt(
        input: String, state: ShoroDialog.State, question: ShoroReply, field: CorrectionField
    ) {
        var conversation = Conversation.at(.waitingCorrection)
        #expect(conversation.send(input) == [.reply(question)])
        #expect(conversation.dialog.state == state)
        #expect(conversation.dialog.pendingCorrection == field)
    }

    @Test func correctedAddressGoesStraightBackToTheSummary() {
        var conversation = Conversation.at(.waitingCorrection)
        conversation.send("1")
        let effects = conversation.send("мкр. Асанбай 10, кв. 7")
        #expect(effects == [.reply(.summary(address: "мкр. Асанбай 10, кв. 7", phone: "+996 555 123 456", bottles: 3))])
        #expect(conversation.dialog.state == .waitingConfirmation)
        #expect(conversation.dialog.pendingCorrection == nil)
    }

    @Test func correctedPhoneGoesStraightBackToTheSummary() {
        var conversation = Conversation.at(.waitingCorrection)
        conversation.send("2")
        let effects = conversation.send("0700 999 888")
        #expect(effects == [.reply(.summary(address: Conversation.address, phone: "+996 700 999 888", bottles: 3))])
        #expect(conversation.dialog.state == .waitingConfirmation)
    }

    @Test func correctedBottlesGoStraightBackToTheSummary() {
        var conversation = Conversation.at(.waitingCorrection)
        conversation.send("3")
        let effects = conversation.send("десять")
        #expect(effects == [.reply(.summary(address: Conversation.address, phone: "+996 555 123 456", bottles: 10))])
        #expect(conversation.dialog.state == .waitingConfirmation)
    }

    @Test func invalidCorrectionValueIsRepromptedAndStillReturnsToTheSummary() {
        var conversation = Conversation.at(.waitingCorrection)
        conversation.send("2")
        #expect(conversation.send("123") == [.reply(.invalidPhone)])
        #expect(conversation.dialog.pendingCorrection == .phone)
        #expect(conversation.send("0700999888").replies.first?.key == "summary")
    }

    @Test func phoneTypedInsteadOfAChoiceIsTakenAsTheCorrection() {
        var conversation = Conversation.at(.waitingCorrection)
        let effects = conversation.send("+996 700 999 888")
        #expect(effects == [.reply(.summary(address: Conversation.address, phone: "+996 700 999 888", bottles: 3))])
    }

    @Test func correctedOrderUsesTheNewValue() {
        var conversation = Conversation.at(.waitingCorrection)
        conversation.send("3")
        conversation.send("7")
        #expect(conversation.send("да").orders.first?.bottles == 7)
    }

    @Test(arguments: ["4", "кайра"])
    func startOverClearsTheOrderAndAsksForTheAddress(input: String) {
        var conversation = Conversation.at(.waitingCorrection)
        #expect(conversation.send(input) == [.reply(.askAddress)])
        #expect(conversation.dialog.state == .waitingAddress)
        #expect(conversation.dialog.address == nil)
        #expect(conversation.dialog.phone == nil)
        #expect(conversation.dialog.bottles == nil)
        #expect(conversation.dialog.restartCount == 1)
    }

    @Test func startedOverAddressContinuesThroughTheWholeChain() {
        var conversation = Conversation.at(.waitingCorrection)
        conversation.send("4")
        #expect(conversation.send(Conversation.address) == [.reply(.askPhone)])
    }

    @Test(arguments: ["всё", "5", "адрес и телефон"])
    func unclearChoiceRepeatsTheOptions(input: String) {
        var conversation = Conversation.at(.waitingCorrection)
        #expect(conversation.send(input) == [.reply(.correctionUnclear)])
        #expect(conversation.dialog.state == .waitingCorrection)
    }
}
