import BotCore
import FoundationEssentials
import Testing

@Suite struct ShoroDialogLifecycleTests {
    @Test func newDialogStartsEmpty() {
        let dialog = ShoroDialog(id: "m", startedAt: Conversation.start, returning: nil)
        #expect(dialog.state == .initial)
        #expect(dialog.language == .ru)
        #expect(dialog.messageCount == 0)
        #expect(dialog.updatedAt == Conversation.start)
        #expect(!dialog.isFinished)
    }

    @Test func everyHandledMessageIsCountedAndTimed() {
        var conversation = Conversation()
        conversation.send("привет")
        conversation.send("ул 5")
        conversation.sendNonText()
        #expect(conversation.dialog.messageCount == 3)
        #expect(conversation.dialog.updatedAt == Conversation.start.addingTimeInterval(180))
        #expect(conversation.dialog.startedAt == Conversation.start)
    }

    @Test func expiresExactlyTwentyFourHoursAfterTheLastMessage() {
        let conversation = Conversation.at(.waitingPhone)
        let last = conversation.dialog.updatedAt
        #expect(!conversation.dialog.isExpired(at: last.addingTimeInterval(86_399)))
        #expect(conversation.dialog.isExpired(at: last.addingTimeInterval(86_400)))
    }

    @Test(arguments: Conversation.activeStates)
    func expiryRecordsWhereTheCustomerStopped(state: ShoroDialog.State) {
        var conversation = Conversation.at(state)
        let messages = conversation.dialog.messageCount
        let effects = conversation.dialog.expire(at: conversation.now.addingTimeInterval(90_000))
        let outcome = DialogOutcome(
            kind: .expired, dropoffState: state.rawValue, totalMessages: messages, durationSeconds: messages * 60
        )
        #expect(effects == [.recordOutcome(outcome)])
        #expect(conversation.dialog.isFinished)
        #expect(conversation.dialog.state == state)
    }

    @Test func expiryIsRecordedOnlyOnce() {
        var conversation = Conversation.at(.waitingBottles)
        let later = conversation.now.addingTimeInterval(90_000)
        #expect(conversation.dialog.expire(at: later).count == 1)
        #expect(conversation.dialog.expire(at: later).isEmpty)
        #expect(conversation.dialog.handle(.text("5"), now: later).isEmpty)
    }

    @Test func expireBeforeTheDeadlineDoesNothing() {
        var conversation = Conversation.at(.waitingBottles)
        let before = conversation.dialog
        #expect(conversation.dialog.expire(at: conversation.now.addingTimeInterval(3_600)).isEmpty)
        #expect(conversation.dialog == before)
    }

    @Test(arguments: [ShoroDialog.State.completed, .cancelled])
    func finishedDialogNeverExpires(state: ShoroDialog.State) {
        var conversation = Conversation.at(state)
        let muchLater = conversation.now.addingTimeInterval(1_000_000)
        #expect(!conversation.dialog.isExpired(at: muchLater))
        #expect(conversation.dialog.expire(at: muchLater).isEmpty)
    }

    @Test func dialogSurvivesAJSONRoundTripMidCorrection() throws {
        var conversation = Conversation(returning: Conversation.returningCustomer)
        for text in ["Салам", "ооба", "3", "жок", "2"] {
            conversation.send(text)
        }
        #expect(conversation.dialog.state == .waitingPhone)
        let data = try JSONEncoder().encode(conversation.dialog)
        var decoded = try JSONDecoder().decode(ShoroDialog.self, from: data)
        #expect(decoded == conversation.dialog)
        #expect(decoded.pendingCorrection == .phone)
        let next = conversation.now.addingTimeInterval(60)
        let original = conversation.dialog.handle(.text("0700999888"), now: next)
        #expect(decoded.handle(.text("0700999888"), now: next) == original)
        #expect(decoded == conversation.dialog)
    }

    @Test func finishedDialogSurvivesAJSONRoundTrip() throws {
        let dialog = Conversation.at(.completed).dialog
        let decoded = try JSONDecoder().decode(ShoroDialog.self, from: JSONEncoder().encode(dialog))
        #expect(decoded == dialog)
        #expect(decoded.outcome?.kind == .completed)
    }
}
