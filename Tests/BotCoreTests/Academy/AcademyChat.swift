import BotCore
import FoundationEssentials

/// One user's academy dialog driven through `AcademyDialog.handle`, with a clock that advances a minute per event.
struct AcademyChat {
    typealias Effect = AcademyDialog.Effect

    let dialog: AcademyDialog
    var state: AcademyDialog.State
    var now: Date
    private var callbackCounter = 0

    init(languageCode: String? = "ru", now: Date = AcademyFixtures.now, dialog: AcademyDialog = AcademyFixtures.dialog) {
        self.dialog = dialog
        self.state = AcademyDialog.State(
            userID: AcademyFixtures.userID,
            chatID: AcademyFixtures.userID,
            languageCode: languageCode
        )
        self.now = now
    }

    @discardableResult
    mutating func send(_ event: AcademyDialog.Event) -> [Effect] {
        self.now = self.now.addingTimeInterval(60)
        let (state, effects) = self.dialog.handle(self.state, event, now: self.now)
        self.state = state
        return effects
    }

    @discardableResult
    mutating func text(_ text: String) -> [Effect] { self.send(.text(text)) }

    /// Presses a button with a fresh callback id, on message 77.
    @discardableResult
    mutating func press(_ callback: AcademyCallback, messageID: Int64? = 77) -> [Effect] {
        self.press(data: callback.data, messageID: messageID)
    }

    @discardableResult
    mutating func press(data: String?, messageID: Int64? = 77) -> [Effect] {
        self.callbackCounter += 1
        return self.send(.callback(.init(id: "cb\(self.callbackCounter)", data: data, messageID: messageID)))
    }

    /// A dialog driven to `step` with valid answers (Russian unless `languageCode` says otherwise).
    static func at(_ step: AcademyDialog.Step, languageCode: String? = "ru") -> AcademyChat {
        var chat = AcademyChat(languageCode: languageCode)
        let path = Self.path(to: step, languageCode: languageCode)
        for event in path { chat.send(event) }
        precondition(chat.state.step == step, "fixture path reached \(chat.state.step), not \(step)")
        chat.path = path
        return chat
    }

    /// The events that led here (to replay them on another dialog).
    var path: [AcademyDialog.Event] = []

    /// The events that lead a new dialog to `step`.
    static func path(to step: AcademyDialog.Step, languageCode: String?) -> [AcademyDialog.Event] {
        let before = { (step: AcademyDialog.Step) in Self.path(to: step, languageCode: languageCode) }
        let epoch = AcademyFixtures.tuesday18.epoch
        switch step {
        case .new: return []
        case .awaitingConsent: return [.start(payload: nil, languageCode: languageCode)]
        case .consentDeclined: return before(.awaitingConsent) + [Self.pressEvent(.consentDecline)]
        case .awaitingPhone: return before(.awaitingConsent) + [Self.pressEvent(.consentAccept)]
        case .awaitingEmail: return before(.awaitingPhone) + [.text("+7 999 000-11-22")]
        case .checkingLead: return before(.awaitingEmail) + [.text("anna@example.com")]
        case .awaitingName: return before(.checkingLead) + [.leadLookup(nil)]
        case .bookedElsewhere:
            let other = LeadSummary(
                id: 9,
                email: "anna@example.com",
                phone: "+70000000000",
                tgID: 42,
                status: .scheduled,
                lesson: AcademyFixtures.lesson()
            )
            return before(.checkingLead) + [.leadLookup(other)]
        case .loadingSlots: return before(.awaitingName) + [.text("Анна")]
        case .slotsUnavailable: return before(.loadingSlots) + [.slotsUnavailable]
        case .choosingDate: return before(.loadingSlots) + [.slotsLoaded(AcademyFixtures.freeSlots)]
        case .choosingTime: return before(.choosingDate) + [Self.pressEvent(.date(generation: 1, day: "20250617"))]
        case .confirmingSlot: return before(.choosingTime) + [Self.pressEvent(.time(generation: 1, epoch: epoch))]
        case .booking: return before(.confirmingSlot) + [Self.pressEvent(.confirm(generation: 1, epoch: epoch))]
        case .scheduled: return before(.booking) + [.booked(AcademyFixtures.lesson())]
        case .confirmingReschedule: return before(.scheduled) + [Self.pressEvent(.reschedule(epoch: epoch))]
        case .confirmingCancel: return before(.scheduled) + [Self.pressEvent(.cancelLesson(epoch: epoch))]
        case .lessonCancelled: return before(.confirmingCancel) + [Self.pressEvent(.cancelConfirmed(epoch: epoch))]
        }
    }

    private static func pressEvent(_ callback: AcademyCallback) -> AcademyDialog.Event {
        .callback(.init(id: "fixture", data: callback.data, messageID: 77))
    }
}

extension Array where Element == AcademyDialog.Effect {
    /// The messages sent or edited, in order.
    var messages: [AcademyMessage] {
        self.compactMap {
            switch $0 {
            case .send(let message), .edit(_, let message): message
            default: nil
            }
        }
    }

    /// The template keys of the messages sent or edited, in order.
    var keys: [AcademyTextKey] { self.messages.map(\.key) }

    /// Every inline button in the messages.
    var buttons: [InlineButton] { self.messages.compactMap(\.markup?.inlineKeyboard).flatMap(\.buttons) }

    /// The callback answers.
    var callbackAnswers: [String?] {
        self.compactMap { if case .answerCallback(_, let text) = $0 { text } else { nil } }
    }

    var answerCount: Int {
        self.count { if case .answerCallback = $0 { true } else { false } }
    }

    /// The effects that are not messages or callback answers.
    var actions: [AcademyDialog.Effect] {
        self.filter {
            switch $0 {
            case .send, .edit, .answerCallback: false
            default: true
            }
        }
    }
}
