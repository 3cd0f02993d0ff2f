import BotCore
import Testing

@Suite struct ShoroDialogCommandTests {
    @Test(arguments: Conversation.activeStates)
    func cancelEndsTheDialogFromEveryState(state: ShoroDialog.State) {
        var conversation = Conversation.at(state)
        let messagesBefore = conversation.dialog.messageCount
        let effects = conversation.send("отмена")
        let outcome = DialogOutcome(
            kind: .cancelled, dropoffState: state.rawValue, totalMessages: messagesBefore + 1,
            durationSeconds: (messagesBefore + 1) * 60
        )
        #expect(effects == [.reply(.cancelled), .recordOutcome(outcome)])
        #expect(conversation.dialog.state == .cancelled)
        #expect(conversation.dialog.isFinished)
    }

    @Test(arguments: ["Отменить заказ", "стоп", "cancel", "stop", "жокко чыгаруу", "токтот", "/stop"])
    func everyCancelWordCancels(input: String) {
        var conversation = Conversation.at(.waitingBottles)
        #expect(conversation.send(input).outcomes.map(\.kind) == [.cancelled])
        #expect(conversation.dialog.state == .cancelled)
    }

    @Test(arguments: Conversation.activeStates.filter { $0 != .initial })
    func restartClearsDataAndAsksForTheAddressFromEveryState(state: ShoroDialog.State) {
        var conversation = Conversation.at(state)
        let effects = conversation.send("начать заново")
        #expect(effects == [.reply(.greeting), .reply(.askAddress)])
        #expect(conversation.dialog.state == .waitingAddress)
        #expect(conversation.dialog.address == nil)
        #expect(conversation.dialog.phone == nil)
        #expect(conversation.dialog.bottles == nil)
        #expect(conversation.dialog.pendingCorrection == nil)
        #expect(conversation.dialog.restartCount == 1)
        #expect(!conversation.dialog.isFinished)
    }

    @Test(arguments: ["/start", "заново", "restart", "start over", "кайра баштоо"])
    func everyRestartWordRestarts(input: String) {
        var conversation = Conversation.at(.waitingConfirmation)
        #expect(conversation.send(input).replies == [.greeting, .askAddress])
        #expect(conversation.dialog.restartCount == 1)
    }

    @Test func startInTheFirstMessageIsJustTheGreeting() {
        var conversation = Conversation(returning: Conversation.returningCustomer)
        #expect(conversation.send("/start").replies == [.greeting, ShoroDialogReturningTests.offer])
        #expect(conversation.dialog.state == .waitingReuse)
        #expect(conversation.dialog.restartCount == 0)
    }

    @Test func restartedDialogRecordsOneOutcomeAndKeysItsOrderByRestart() {
        var conversation = Conversation.at(.waitingBottles)
        conversation.send("заново")
        conversation.send(Conversation.address)
        conversation.send("0555123456")
        conversation.send("2")
        let effects = conversation.send("да")
        #expect(effects.orders.map(\.dialogID) == ["msg-1#1"])
        #expect(effects.outcomes.map(\.restartCount) == [1])
    }

    @Test(arguments: [
        (ShoroDialog.State.waitingReuse, ShoroDialogReturningTests.offer),
        (.waitingAddress, .askAddress),
        (.waitingPhone, .askPhone),
        (.waitingBottles, .askBottles),
        (.waitingConfirmation, ShoroDialogFlowTests.summary),
        (.waitingCorrection, .askCorrection),
    ])
    func nonTextMessageAsksForTextAndRepeatsTheQuestion(state: ShoroDialog.State, question: ShoroReply) {
        var conversation = Conversation.at(state)
        let before = conversation.dialog
        #expect(conversation.sendNonText() == [.reply(.textOnly(question))])
        #expect(conversation.dialog.state == state)
        #expect(conversation.dialog.address == before.address)
        #expect(conversation.dialog.messageCount == before.messageCount + 1)
    }

    @Test func nonTextFirstMessageGetsTheGreeting() {
        var conversation = Conversation()
        #expect(conversation.sendNonText() == [.reply(.greeting), .reply(.askAddress)])
        #expect(conversation.dialog.state == .waitingAddress)
    }

    @Test(arguments: [ShoroDialog.State.waitingPhone, .waitingConfirmation])
    func blankTextRepeatsTheQuestion(state: ShoroDialog.State) {
        var conversation = Conversation.at(state)
        let question = conversation.dialog.currentQuestion
        #expect(conversation.send("  \n ").replies == [question].compactMap { $0 })
        #expect(conversation.dialog.state == state)
    }

    @Test(arguments: [ShoroDialog.State.completed, .cancelled])
    func finishedDialogIgnoresFurtherMessages(state: ShoroDialog.State) {
        var conversation = Conversation.at(state)
        let before = conversation.dialog
        #expect(conversation.send("здравствуйте").isEmpty)
        #expect(conversation.send("отмена").isEmpty)
        #expect(conversation.sendNonText().isEmpty)
        #expect(conversation.dialog == before)
    }
}
