/// Callbacks, voice, and questions for the AI.
extension AcademyTurn {
    /// Every callback is answered exactly once, first, so the client's spinner stops.
    mutating func handleCallback(_ press: AcademyDialog.CallbackPress) -> [Effect] {
        let (answer, effects) = self.callbackOutcome(press)
        return [.answerCallback(id: press.id, text: answer.map { self.texts.render($0, self.state.language) })]
            + effects
    }

    /// The answer text (nil for none) and the effects of a pressed button.
    private mutating func callbackOutcome(_ press: AcademyDialog.CallbackPress) -> (AcademyTextKey?, [Effect]) {
        guard let callback = press.data.flatMap(AcademyCallback.init(data:)) else {
            return (.staleButton, self.reprompt())
        }
        let handled: [Effect]?
        switch callback {
        case .consentAccept:
            let steps: Set<Step> = [.awaitingConsent, .consentDeclined]
            handled = steps.contains(self.state.step) ? self.acceptConsent() : nil
        case .consentDecline:
            handled = self.state.step == .awaitingConsent ? self.declineConsent() : nil
        case .date, .time, .backToDates:
            handled = self.handlePickerButton(callback, messageID: press.messageID)
        case .confirm:
            if let effects = self.handlePickerButton(callback, messageID: press.messageID) {
                return (.bookingInProgress, effects)
            }
            handled = nil
        case .keepCurrent:
            handled = self.keepCurrentLesson()
        case .retrySlots:
            handled = self.state.step == .slotsUnavailable ? self.loadSlots() : nil
        case .reschedule, .rescheduleConfirmed, .cancelLesson, .cancelConfirmed, .keepLesson:
            handled = self.handleLessonButton(callback)
        case .bookAgain:
            handled = self.bookAgain()
        case .returnToStep:
            self.state.aiMode = false
            handled = self.reprompt()
        }
        if let handled { return (nil, handled) }
        return (.staleButton, self.handleStaleButton(callback))
    }

    /// A button from an old message or for a slot that is gone: fresh slots in the picker, else the current step.
    private mutating func handleStaleButton(_ callback: AcademyCallback) -> [Effect] {
        let pickerSteps: Set<Step> = [.choosingDate, .choosingTime, .confirmingSlot, .slotsUnavailable]
        switch callback {
        case .date, .time, .backToDates, .confirm:
            return pickerSteps.contains(self.state.step) ? self.refreshStalePicker() : self.reprompt()
        default:
            return self.reprompt()
        }
    }

    /// A voice message or video note: transcribe it unless it is too long to be an answer.
    mutating func handleVoice(_ audio: AcademyDialog.AudioMessage) -> [Effect] {
        // Video notes are greetings and reactions, not answers: they are not transcribed (like any other media).
        if audio.kind == .videoNote { return self.handle(.unsupported) }
        if audio.durationSeconds > self.settings.maxVoiceSeconds || (audio.fileSize ?? 0) > self.settings.maxVoiceBytes {
            return [self.send(.voiceTooLong, ["seconds": String(self.settings.maxVoiceSeconds)])]
        }
        return [.transcribe(fileID: audio.fileID, kind: audio.kind)]
    }

    /// `/ai`: free text goes to the AI, even in strict steps, until "↩ Back".
    mutating func enterAI(question: String?) -> [Effect] {
        self.state.aiMode = true
        guard let question = question?.trimmingWhitespace(), !question.isEmpty else {
            return [self.send(.aiIntro, markup: self.keyboards.returnToStep)]
        }
        return self.answerQuestion(question)
    }

    /// A question: prices and injection attempts are answered without the AI; the rest goes to it.
    func answerQuestion(_ text: String) -> [Effect] {
        switch AIGuard.prefilter(text) {
        case .price:
            return [
                self.send(.priceAnswer, ["manager": self.settings.managerLink], markup: self.keyboards.returnToStep)
            ]
        case .injection:
            return [self.send(.injectionAnswer, markup: self.keyboards.returnToStep)]
        case .ok:
            return [.askAI(text: text, step: self.state.step)]
        }
    }
}
