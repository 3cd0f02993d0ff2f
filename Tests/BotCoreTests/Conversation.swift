import BotCore
import FoundationEssentials

/// A dialog driven through its public API, with a clock that advances one minute per message.
struct Conversation {
    static let start = Date(timeIntervalSince1970: 1_750_000_000)
    static let returningCustomer = ShoroCustomer(lastAddress: "ул. Токтогула 12, кв. 5", lastPhone: "0700 111 222")
    static let address = "ул. Киевская 95, кв. 12"

    var dialog: ShoroDialog
    var now: Date

    init(returning: ShoroCustomer? = nil, id: String = "msg-1") {
        self.dialog = ShoroDialog(id: id, startedAt: Self.start, returning: returning)
        self.now = Self.start
    }

    /// Sends a text message a minute after the previous one.
    @discardableResult
    mutating func send(_ text: String) -> [ShoroDialog.Effect] {
        self.now = self.now.addingTimeInterval(60)
        return self.dialog.handle(.text(text), now: self.now)
    }

    /// Sends a photo/sticker a minute after the previous message.
    @discardableResult
    mutating func sendNonText() -> [ShoroDialog.Effect] {
        self.now = self.now.addingTimeInterval(60)
        return self.dialog.handle(.nonText, now: self.now)
    }

    /// A Russian-speaking conversation driven to `state` with the usual answers.
    static func at(_ state: ShoroDialog.State) -> Conversation {
        var conversation = Conversation(returning: state == .waitingReuse ? Self.returningCustomer : nil)
        let script: [String] =
            switch state {
            case .initial: []
            case .waitingReuse, .waitingAddress: ["Здравствуйте"]
            case .waitingPhone: ["Здравствуйте", Self.address]
            case .waitingBottles: ["Здравствуйте", Self.address, "0555 123 456"]
            case .waitingConfirmation: ["Здравствуйте", Self.address, "0555 123 456", "3"]
            case .waitingCorrection: ["Здравствуйте", Self.address, "0555 123 456", "3", "нет"]
            case .completed: ["Здравствуйте", Self.address, "0555 123 456", "3", "да"]
            case .cancelled: ["Здравствуйте", "отмена"]
            }
        for text in script {
            conversation.send(text)
        }
        precondition(conversation.dialog.state == state, "fixture script did not reach \(state)")
        return conversation
    }

    /// Every state in which the dialog still takes messages.
    static let activeStates: [ShoroDialog.State] = [
        .initial, .waitingReuse, .waitingAddress, .waitingPhone, .waitingBottles, .waitingConfirmation,
        .waitingCorrection,
    ]
}

extension Array where Element == ShoroDialog.Effect {
    /// The replies among the effects, in order.
    var replies: [ShoroReply] {
        self.compactMap { if case .reply(let reply) = $0 { reply } else { nil } }
    }

    /// The recorded outcomes among the effects.
    var outcomes: [DialogOutcome] {
        self.compactMap { if case .recordOutcome(let outcome) = $0 { outcome } else { nil } }
    }

    /// The orders among the effects.
    var orders: [ShoroOrderDraft] {
        self.compactMap { if case .createOrder(let draft) = $0 { draft } else { nil } }
    }
}
