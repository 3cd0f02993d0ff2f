public import FoundationEssentials

/// One water-order conversation as a value: `handle(event, now)` moves it on and returns effects to run.
///
/// The runtime stores it as JSON between messages, renders each `.reply` with `ShoroTexts` in
/// `language` (read after `handle` returns), and executes the effects in order.
public struct ShoroDialog: Sendable, Codable, Equatable {
    /// The step the dialog is waiting at; raw values are stored and reported as drop-off points.
    public enum State: String, Sendable, Codable, CaseIterable {
        case initial, waitingReuse, waitingAddress, waitingPhone, waitingBottles, waitingConfirmation
        case waitingCorrection, completed, cancelled
    }

    /// An inbound customer message.
    public enum Event: Sendable, Equatable {
        case text(String)
        /// A photo, audio, sticker or file without text.
        case nonText
        /// A text asking for a person (`ShoroTexts.intent` said `.human`). `teamHours` nil: someone is always there.
        case humanRequest(String, teamHours: ShoroTeamHours?, pauseSeconds: Double)
    }

    /// Something the runtime must do, in the order returned.
    public enum Effect: Sendable, Equatable {
        case reply(ShoroReply)
        case createOrder(ShoroOrderDraft)
        case recordOutcome(DialogOutcome)
        /// A note to the people at the desk (an internal comment in the client's dialog).
        case notifyTeam(TeamNote)
    }

    /// What the team is told.
    public enum TeamNote: Sendable, Equatable {
        case humanRequested
    }

    /// Seconds without a customer message after which an unfinished dialog expires.
    public static let expirySeconds: Double = 86_400

    /// The runtime's id for the dialog (the inbound message id that opened it).
    public let id: String
    public internal(set) var state: State
    public internal(set) var language: ShoroLanguage
    /// Whether the customer has written anything that revealed a language; until then any hint switches it.
    public internal(set) var languageSettled: Bool
    public internal(set) var address: String?
    /// Normalised as `+996XXXXXXXXX`.
    public internal(set) var phone: String?
    public internal(set) var bottles: Int?
    /// The previous order offered for reuse; nil for new customers or an unusable profile.
    public internal(set) var returning: ShoroCustomer?
    /// The field being corrected after a "no" to the summary; a valid answer returns to the summary.
    public internal(set) var pendingCorrection: CorrectionField?
    public let startedAt: Date
    /// The time of the last handled message.
    public internal(set) var updatedAt: Date
    /// Handled customer messages, including the one that opened the dialog.
    public internal(set) var messageCount: Int
    /// How often the customer started over; part of the order's `dialogID`.
    public internal(set) var restartCount: Int
    /// Set once the dialog completed, was cancelled or expired; it is never recorded twice.
    public internal(set) var outcome: DialogOutcome?
    /// Set while a person has the conversation (see `ShoroHandoff.swift`); nil in dialogs stored before it existed.
    public internal(set) var pause: ShoroPause?

    /// Opens a dialog; `returning` is ignored unless its address and phone are still valid.
    public init(id: String, startedAt: Date, returning: ShoroCustomer?) {
        self.id = id
        self.state = .initial
        self.language = .default
        self.languageSettled = false
        self.returning = returning.flatMap(Self.usableProfile)
        self.startedAt = startedAt
        self.updatedAt = startedAt
        self.messageCount = 0
        self.restartCount = 0
    }

    /// Whether the dialog has ended (completed, cancelled or expired): the runtime opens a new one next.
    public var isFinished: Bool {
        self.outcome != nil || self.state == .completed || self.state == .cancelled
    }

    /// Whether an unfinished dialog has had no message for `idleSeconds` (`updatedAt + idleSeconds <= now`).
    /// - Parameter idleSeconds: 24 hours unless the runtime is configured shorter (`SHORO_DIALOG_TTL_SECONDS`).
    public func isExpired(at now: Date, idleSeconds: Double = Self.expirySeconds) -> Bool {
        !self.isFinished && self.updatedAt.addingTimeInterval(idleSeconds) <= now
    }

    /// Ends an expired dialog, recording where it stalled; returns [] if it isn't expired at `now`.
    ///
    /// `state` keeps the drop-off step; `isFinished` becomes true.
    public mutating func expire(at now: Date, idleSeconds: Double = Self.expirySeconds) -> [Effect] {
        guard self.isExpired(at: now, idleSeconds: idleSeconds) else { return [] }
        return [.recordOutcome(self.finish(.expired, dropoff: self.state))]
    }

    /// Moves the dialog on by one customer message.
    ///
    /// In a finished dialog this returns [] and changes nothing: a new message there belongs to a new
    /// dialog, which the runtime opens. Cancel and restart words work in every other state.
    public mutating func handle(_ event: Event, now: Date) -> [Effect] {
        guard !self.isFinished else { return [] }
        self.messageCount += 1
        self.updatedAt = now
        // A person has the conversation: the message is logged by the runtime, and the bot says nothing.
        if self.isPaused(at: now) { return [] }
        self.pause = nil
        // Folded and split once, for every parser below.
        let message: FoldedText
        switch event {
        case .nonText: return self.handleNonText()
        case .humanRequest(let words, let teamHours, let pauseSeconds):
            self.updateLanguage(from: FoldedText(words))
            return self.requestHuman(teamHours: teamHours, pauseSeconds: pauseSeconds, now: now)
        case .text(let words): message = FoldedText(words)
        }

        let command = ShoroCommand.parse(message)
        // Street names ("Чүй", "Manas") say nothing about the customer's language.
        if command != nil || self.state != .waitingAddress || !self.languageSettled {
            self.updateLanguage(from: message)
        }
        switch command {
        case .cancel: return self.cancel()
        case .restart: return self.restart()
        case nil: break
        }
        if self.state != .initial, message.text.trimmingWhitespace().isEmpty, let question = self.currentQuestion {
            return [.reply(question)]
        }
        switch self.state {
        case .initial: return self.open()
        case .waitingReuse: return self.handleReuse(message)
        case .waitingAddress: return self.handleAddress(message.text)
        case .waitingPhone: return self.handlePhone(message.text)
        case .waitingBottles: return self.handleBottles(message)
        case .waitingConfirmation: return self.handleConfirmation(message)
        case .waitingCorrection: return self.handleCorrection(message)
        case .completed, .cancelled: return []
        }
    }

    /// The question the dialog is waiting to have answered, or nil before the greeting and after the end.
    public var currentQuestion: ShoroReply? {
        switch self.state {
        case .initial, .completed, .cancelled: nil
        case .waitingReuse: self.reuseOffer
        case .waitingAddress: .askAddress
        case .waitingPhone: .askPhone
        case .waitingBottles: .askBottles
        case .waitingConfirmation: self.summary
        case .waitingCorrection: .askCorrection
        }
    }

    /// The order key: unique per dialog and restart.
    ///
    /// A dialog creates at most one order (it is finished afterwards), so `id` alone would do; the
    /// restart count keeps keys distinct should the runtime ever key orders per attempt.
    public var orderKey: String { "\(self.id)#\(self.restartCount)" }

    /// Greets and asks the first question: reuse of the last order for returning customers, else the address.
    mutating func open() -> [Effect] {
        if let offer = self.reuseOffer {
            self.state = .waitingReuse
            return [.reply(.greeting), .reply(offer)]
        }
        self.state = .waitingAddress
        return [.reply(.greeting), .reply(.askAddress)]
    }

    /// Cancels the order; the outcome names the step the customer left at.
    mutating func cancel() -> [Effect] {
        let outcome = self.finish(.cancelled, dropoff: self.state)
        self.state = .cancelled
        return [.reply(.cancelled), .recordOutcome(outcome)]
    }

    /// Starts the order over: clears collected data and asks for the address.
    ///
    /// No outcome is recorded, so each dialog records exactly one (with its `restartCount`). The
    /// returning-customer offer is not repeated: whoever restarts didn't want it as it was.
    mutating func restart() -> [Effect] {
        guard self.state != .initial else { return self.open() }
        self.startOver()
        return [.reply(.greeting), .reply(.askAddress)]
    }

    /// Clears the order and waits for a new address.
    mutating func startOver() {
        self.address = nil
        self.phone = nil
        self.bottles = nil
        self.pendingCorrection = nil
        self.restartCount += 1
        self.state = .waitingAddress
    }

    /// Records the outcome once and marks the dialog finished.
    mutating func finish(_ kind: DialogOutcome.Kind, dropoff: State) -> DialogOutcome {
        let seconds = self.updatedAt.timeIntervalSince(self.startedAt)
        let outcome = DialogOutcome(
            kind: kind,
            dropoffState: dropoff.rawValue,
            totalMessages: self.messageCount,
            durationSeconds: max(0, Int(seconds.rounded(.down))),
            restartCount: self.restartCount
        )
        self.outcome = outcome
        return outcome
    }

    /// Sets `language` from the message when it clearly says which one the customer uses.
    mutating func updateLanguage(from text: FoldedText) {
        let guess = LanguageDetector.guess(text)
        self.language = LanguageDetector.next(after: guess, current: self.language, settled: self.languageSettled)
        if guess != nil {
            self.languageSettled = true
        }
    }

    /// The "same as last time?" question, if the customer has a usable previous order.
    var reuseOffer: ShoroReply? {
        self.returning.map { .askReuse(address: $0.lastAddress, phone: KyrgyzPhone.display($0.lastPhone)) }
    }

    /// The summary of the collected order.
    var summary: ShoroReply {
        .summary(address: self.address ?? "", phone: KyrgyzPhone.display(self.phone ?? ""), bottles: self.bottles ?? 0)
    }

    /// A returning profile with a valid address and phone, normalised; otherwise nil.
    private static func usableProfile(_ customer: ShoroCustomer) -> ShoroCustomer? {
        guard case .valid(let address) = ShoroAddress.validate(customer.lastAddress),
            let phone = KyrgyzPhone.normalize(customer.lastPhone)
        else { return nil }
        return ShoroCustomer(lastAddress: address, lastPhone: phone)
    }
}
