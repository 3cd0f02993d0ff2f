// `internal(set)` on the stored properties (not `private(set)`) lets these steps live in their own file.
/// Handling of the customer's answer at each step.
extension ShoroDialog {
    /// A photo, sticker or voice message: re-ask the current question, asking for text.
    mutating func handleNonText() -> [Effect] {
        guard let question = self.currentQuestion else { return self.open() }
        return [.reply(.textOnly(question))]
    }

    /// "Deliver to your last address again?": yes skips to the bottle count, no asks for an address.
    mutating func handleReuse(_ text: FoldedText) -> [Effect] {
        switch YesNo.parse(text) {
        case .yes:
            self.address = self.returning?.lastAddress
            self.phone = self.returning?.lastPhone
            self.state = .waitingBottles
            return [.reply(.askBottles)]
        case .no:
            self.state = .waitingAddress
            return [.reply(.askAddress)]
        case nil:
            guard let customer = self.returning else { return [.reply(.askAddress)] }
            let phone = KyrgyzPhone.display(customer.lastPhone)
            return [.reply(.reuseUnclear(address: customer.lastAddress, phone: phone))]
        }
    }

    /// The delivery address.
    mutating func handleAddress(_ text: String) -> [Effect] {
        switch ShoroAddress.validate(text) {
        case .valid(let address):
            self.address = address
            return self.advance(after: .address, next: .waitingPhone, question: .askPhone)
        case .notAnAddress:
            return [.reply(.askAddress)]
        case .tooShort, .tooLong, .noLetters:
            return [.reply(.invalidAddress(minLength: ShoroAddress.minLength, maxLength: ShoroAddress.maxLength))]
        }
    }

    /// The contact phone, alone or inside a sentence, normalised to `+996XXXXXXXXX`; none or two → ask again.
    mutating func handlePhone(_ text: String) -> [Effect] {
        guard let phone = KyrgyzPhone.find(in: text).value else { return [.reply(.invalidPhone)] }
        self.phone = phone
        return self.advance(after: .phone, next: .waitingBottles, question: .askBottles)
    }

    /// The number of bottles; a valid count always leads to the summary.
    mutating func handleBottles(_ text: FoldedText) -> [Effect] {
        guard case .count(let bottles) = BottleCount.parse(text) else {
            return [.reply(.invalidBottles(min: BottleCount.allowed.lowerBound, max: BottleCount.allowed.upperBound))]
        }
        self.bottles = bottles
        return self.showSummary()
    }

    /// Yes places the order; no asks what to change.
    mutating func handleConfirmation(_ text: FoldedText) -> [Effect] {
        switch YesNo.parse(text) {
        case .yes:
            return self.complete()
        case .no:
            self.state = .waitingCorrection
            return [.reply(.askCorrection)]
        case nil:
            return [.reply(.confirmationUnclear)]
        }
    }

    /// Which field to change; a new phone number typed straight away is taken as the correction.
    mutating func handleCorrection(_ text: FoldedText) -> [Effect] {
        if let phone = KyrgyzPhone.find(in: text.text).value {
            self.phone = phone
            return self.showSummary()
        }
        switch CorrectionField.parse(text) {
        case .address:
            self.pendingCorrection = .address
            self.state = .waitingAddress
            return [.reply(.askAddress)]
        case .phone:
            self.pendingCorrection = .phone
            self.state = .waitingPhone
            return [.reply(.askPhone)]
        case .bottles:
            self.pendingCorrection = .bottles
            self.state = .waitingBottles
            return [.reply(.askBottles)]
        case .startOver:
            self.startOver()
            return [.reply(.askAddress)]
        case nil:
            return [.reply(.correctionUnclear)]
        }
    }

    /// After a valid answer: back to the summary when correcting `field`, else on to the next step.
    private mutating func advance(after field: CorrectionField, next: State, question: ShoroReply) -> [Effect] {
        if self.pendingCorrection == field {
            return self.showSummary()
        }
        self.state = next
        return [.reply(question)]
    }

    /// Shows the order for confirmation.
    private mutating func showSummary() -> [Effect] {
        self.pendingCorrection = nil
        self.state = .waitingConfirmation
        return [.reply(self.summary)]
    }

    /// Places the order: create it, thank the customer, record the outcome.
    private mutating func complete() -> [Effect] {
        guard let address = self.address, let phone = self.phone, let bottles = self.bottles else {
            // Unreachable through `handle`; a hand-edited stored dialog restarts rather than ordering blanks.
            self.startOver()
            return [.reply(.askAddress)]
        }
        let draft = ShoroOrderDraft(
            dialogID: self.orderKey, address: address, phone: phone, bottles: bottles, language: self.language
        )
        self.state = .completed
        let outcome = self.finish(.completed, dropoff: .waitingConfirmation)
        return [.createOrder(draft), .reply(.orderAccepted), .recordOutcome(outcome)]
    }
}
