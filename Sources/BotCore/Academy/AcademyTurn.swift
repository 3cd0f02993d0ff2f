import FoundationEssentials

// `internal(set)` on `AcademyDialog.State` lets the turn's extensions in other files change it.
/// One event applied to one user's state: the working value behind `AcademyDialog.handle`.
struct AcademyTurn {
    typealias Effect = AcademyDialog.Effect
    typealias Step = AcademyDialog.Step

    var state: AcademyDialog.State
    let settings: AcademySettings
    let now: Date

    var texts: AcademyTexts { self.settings.texts }

    var keyboards: AcademyKeyboards {
        AcademyKeyboards(texts: self.settings.texts, language: self.state.language, timeZone: self.settings.timeZone)
    }

    mutating func handle(_ event: AcademyDialog.Event) -> [Effect] {
        switch event {
        case .start(let payload, let languageCode):
            if languageCode != nil { self.state.language = AcademyLanguage(languageCode: languageCode) }
            return self.start(payload: payload)
        case .ai(let question):
            return self.enterAI(question: question)
        case .text(let text):
            return self.handleText(text)
        case .transcribed(let text):
            let text = text.trimmingWhitespace()
            return text.isEmpty ? [self.send(.voiceNotRecognised)] : self.handleText(text)
        case .transcriptionFailed:
            return [self.send(.voiceNotRecognised)]
        case .contact(let phoneNumber, let userID):
            return self.handleContact(phoneNumber: phoneNumber, userID: userID)
        case .voice(let audio):
            return self.handleVoice(audio)
        case .callback(let press):
            return self.handleCallback(press)
        case .unsupported:
            guard self.state.step != .new else { return self.start(payload: nil) }
            return [self.send(.useText)] + self.reprompt()
        case .leadLookup(let lead):
            guard self.state.step == .checkingLead else { return [] }
            return self.handleLookup(lead)
        case .slotsLoaded(let slots):
            guard self.state.step == .loadingSlots else { return [] }
            return self.showDates(fresh: slots)
        case .slotsUnavailable:
            guard self.state.step == .loadingSlots else { return [] }
            self.state.step = .slotsUnavailable
            return [
                self.send(.slotsUnavailable, markup: self.keyboards.retry(offerKeepCurrent: self.offersKeepCurrent))
            ]
        case .booked(let lesson):
            return self.handleBooked(lesson)
        case .bookingFailed(let failure):
            guard self.state.step == .booking else { return [] }
            return self.handleBookingFailure(failure)
        }
    }

    /// Free text (typed or transcribed): the answer in a strict step, otherwise a question for the AI.
    mutating func handleText(_ text: String) -> [Effect] {
        // In any step after the start, a request for a person: the manager's link, and the manager is told.
        if self.state.step != .new, self.texts.isHumanRequest(text) {
            return [
                self.send(.humanRequested, ["manager": self.settings.managerLink]),
                .notifyManager(
                    .humanRequested(tgID: self.state.userID, name: self.state.name, phone: self.state.phone, email: self.state.email)),
            ]
        }
        switch self.state.step {
        case .new:
            return self.start(payload: nil)
        case .awaitingPhone where !self.state.aiMode:
            return self.handlePhone(text)
        case .awaitingEmail where !self.state.aiMode:
            return self.handleEmail(text)
        case .awaitingName where !self.state.aiMode:
            return self.handleName(text)
        case .checkingLead, .loadingSlots, .booking:
            return [self.send(.pleaseWait)] + self.pendingRequest()
        default:
            return self.answerQuestion(text)
        }
    }

    /// Re-shows the current step's question and keyboard ("↩ Back", unsupported input, stale buttons).
    mutating func reprompt() -> [Effect] {
        let keyboards = self.keyboards
        switch self.state.step {
        case .new:
            return self.start(payload: nil)
        case .awaitingConsent:
            return [self.send(.consentRequest, markup: keyboards.consent)]
        case .consentDeclined:
            return [self.send(.consentDeclined, markup: keyboards.reconsider)]
        case .awaitingPhone:
            return [self.send(.askPhone, markup: keyboards.requestContact)]
        case .awaitingEmail:
            return [self.send(.askEmail)]
        case .awaitingName:
            return [self.send(.askName)]
        case .checkingLead, .loadingSlots, .booking:
            return [self.send(.pleaseWait)] + self.pendingRequest()
        case .slotsUnavailable:
            return self.loadSlots()
        case .choosingDate, .choosingTime, .confirmingSlot:
            return self.showPickerStep(editing: nil)
        case .scheduled, .confirmingReschedule, .confirmingCancel:
            return self.showLessonStep()
        case .lessonCancelled:
            return [self.send(.lessonCancelled, markup: keyboards.bookAgain)]
        case .bookedElsewhere:
            return [self.send(.bookedWithOtherContact, ["manager": self.settings.managerLink])]
        }
    }

    /// The request a waiting step is waiting for, repeated when the user pokes (lookups are idempotent;
    /// a booking is never repeated from here).
    func pendingRequest() -> [Effect] {
        switch self.state.step {
        case .checkingLead:
            guard let email = self.state.email, let phone = self.state.phone else { return [] }
            return [.lookupLead(email: email, phone: phone, deepLinkRef: self.state.deepLinkRef)]
        case .loadingSlots:
            return [.loadSlots(from: self.now, days: self.settings.slotWindowDays)]
        default:
            return []
        }
    }

    func send(_ key: AcademyTextKey, _ values: [String: String] = [:], markup: ReplyMarkup? = nil) -> Effect {
        .send(self.texts.message(key, self.state.language, values, markup: markup))
    }

    /// Edits the message with the pressed button when Telegram still gives access to it, else sends anew.
    func present(
        _ key: AcademyTextKey,
        _ values: [String: String] = [:],
        markup: ReplyMarkup?,
        editing messageID: Int64?
    ) -> Effect {
        let message = self.texts.message(key, self.state.language, values, markup: markup)
        return messageID.map { .edit(messageID: $0, message) } ?? .send(message)
    }

    /// `date` and `time` placeholder values for a slot, in the academy's zone.
    func slotValues(_ slot: Slot) -> [String: String] {
        let local = self.settings.timeZone.local(slot.start)
        return ["date": self.keyboards.dayLabel(local), "time": local.time]
    }
}
