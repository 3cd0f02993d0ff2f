/// Welcome, consent, phone, email, the lead lookup and the name.
extension AcademyTurn {
    /// `/start`: the scheduled lesson if there is one, else a fresh welcome with the consent question.
    mutating func start(payload: String?) -> [Effect] {
        self.state.aiMode = false
        if let lesson = self.state.lesson, lesson.slot.end > self.now {
            self.state.rescheduling = false
            self.state.step = .scheduled
            return self.showLessonStep()
        }
        let link = payload.flatMap(DeepLink.init(payload:))
        var fresh = AcademyDialog.State(userID: self.state.userID, chatID: self.state.chatID, languageCode: nil)
        fresh.language = self.state.language
        // The generation never goes back, so buttons from before the restart stay stale.
        fresh.pickerGeneration = self.state.pickerGeneration
        if case .lead(let ref) = link { fresh.deepLinkRef = ref }
        fresh.step = .awaitingConsent
        self.state = fresh

        // The welcome also hides a contact keyboard left over from an earlier attempt.
        var effects = [self.send(.welcome, markup: .removeKeyboard)]
        if let fileID = self.settings.welcomeVideoNoteFileID, !fileID.isEmpty {
            effects.append(.sendVideoNote(fileID: fileID))
        }
        effects.append(self.send(.consentRequest, markup: self.keyboards.consent))
        return effects
    }

    /// Consent given: ask for the phone with a "share my number" button.
    mutating func acceptConsent() -> [Effect] {
        self.state.step = .awaitingPhone
        return [self.send(.askPhone, markup: self.keyboards.requestContact)]
    }

    /// Consent declined: explain and offer to come back.
    mutating func declineConsent() -> [Effect] {
        self.state.step = .consentDeclined
        return [self.send(.consentDeclined, markup: self.keyboards.reconsider)]
    }

    /// The phone typed, alone or inside a sentence ("мой номер +7 999 123-45-67"); none or two different → ask again.
    mutating func handlePhone(_ text: String) -> [Effect] {
        guard let phone = PhoneNumber.find(in: text).value.flatMap(PhoneNumber.init) else {
            return [self.send(.invalidPhone, markup: self.keyboards.requestContact)]
        }
        return self.acceptPhone(phone)
    }

    /// A shared contact is trusted only when it is the sender's own (the "share my number" button).
    mutating func handleContact(phoneNumber: String, userID: Int64?) -> [Effect] {
        guard self.state.step == .awaitingPhone else {
            return self.state.step == .new ? self.start(payload: nil) : self.reprompt()
        }
        guard userID == self.state.userID else {
            return [self.send(.contactNotOwn, markup: self.keyboards.requestContact)]
        }
        // Telegram sends the number with or without the leading `+`.
        let digits = phoneNumber.hasPrefix("+") ? phoneNumber : "+" + phoneNumber
        guard let phone = PhoneNumber(digits) ?? PhoneNumber(phoneNumber) else {
            return [self.send(.invalidPhone, markup: self.keyboards.requestContact)]
        }
        return self.acceptPhone(phone)
    }

    private mutating func acceptPhone(_ phone: PhoneNumber) -> [Effect] {
        self.state.phone = phone.value
        self.state.step = .awaitingEmail
        return [self.send(.askEmail, markup: .removeKeyboard)]
    }

    /// The email, typed or spoken, alone or inside a sentence; then the duplicate check.
    mutating func handleEmail(_ text: String) -> [Effect] {
        guard let email = EmailAddress.find(in: text).value.flatMap(EmailAddress.init) else {
            return [self.send(.invalidEmail)]
        }
        self.state.email = email.value
        self.state.step = .checkingLead
        return self.pendingRequest()
    }

    /// The duplicate check's answer: an existing lesson is shown, anything else goes on to the name.
    mutating func handleLookup(_ lead: LeadSummary?) -> [Effect] {
        self.state.leadID = lead?.id
        guard let lead, lead.status == .scheduled, let lesson = lead.lesson, lesson.slot.end > self.now else {
            self.state.step = .awaitingName
            return [self.send(.askName)]
        }
        let samePerson =
            lead.tgID == self.state.userID
            || (lead.tgID == nil && lead.email == self.state.email && lead.phone == self.state.phone)
        guard samePerson else {
            // Showing the link or allowing a cancel on one matching field would hand a stranger's lesson over.
            self.state.step = .bookedElsewhere
            return [
                self.send(.bookedWithOtherContact, ["manager": self.settings.managerLink]),
                .notifyManager(.contactBookedElsewhere(tgID: self.state.userID, leadID: lead.id)),
            ]
        }
        self.state.lesson = lesson
        self.state.step = .scheduled
        var effects: [Effect] = [.upsertLead(self.upsert(name: nil)), .cancelEmailChain(leadID: lead.id)]
        effects.append(self.send(.alreadyBooked, self.lessonValues(lesson), markup: self.keyboards.scheduled(lesson)))
        effects += self.reminders(for: lesson)
        return effects
    }

    /// The name completes registration: save the lead, stop its email chain, open the date picker.
    mutating func handleName(_ text: String) -> [Effect] {
        guard let name = PersonName.find(in: text) else {
            let range = PersonName.lengthRange
            return [self.send(.invalidName, ["min": String(range.lowerBound), "max": String(range.upperBound)])]
        }
        self.state.name = name.value
        var effects: [Effect] = [.upsertLead(self.upsert(name: name.value))]
        if let leadID = self.state.leadID { effects.append(.cancelEmailChain(leadID: leadID)) }
        effects.append(self.send(.registered, ["name": name.value]))
        return effects + self.loadSlots()
    }

    /// The lead to save; `name` nil keeps the stored one.
    func upsert(name: String?) -> LeadUpsert {
        LeadUpsert(
            tgID: self.state.userID,
            chatID: self.state.chatID,
            leadID: self.state.leadID,
            deepLinkRef: self.state.deepLinkRef,
            name: name,
            phone: self.state.phone ?? "",
            email: self.state.email ?? "",
            language: self.state.language
        )
    }
}
