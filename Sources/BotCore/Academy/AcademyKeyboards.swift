/// The academy bot's keyboards in one language.
struct AcademyKeyboards {
    let texts: AcademyTexts
    let language: AcademyLanguage
    var timeZone: AcademyTimeZone = .fixed(hours: 0)

    /// Accept / decline the personal-data policy.
    var consent: ReplyMarkup {
        self.inline([[self.button(.buttonAccept, .consentAccept), self.button(.buttonDecline, .consentDecline)]])
    }

    /// After declining: "I changed my mind".
    var reconsider: ReplyMarkup { self.inline([[self.button(.buttonReconsider, .consentAccept)]]) }

    /// The one-time reply keyboard that shares the user's own number.
    var requestContact: ReplyMarkup { .requestContact(buttonText: self.texts.render(.buttonSharePhone, self.language)) }

    /// One button per day that has a slot, three per row, in order; "keep current time" while rescheduling.
    func dates(_ slots: [Slot], generation: Int, offerKeepCurrent: Bool) -> ReplyMarkup {
        var days: [LocalDateTime] = []
        for slot in slots.sorted() {
            let local = self.timeZone.local(slot.start)
            if days.last?.dayKey != local.dayKey { days.append(local) }
        }
        let buttons = days.map {
            InlineButton(text: self.dayLabel($0), callback: .date(generation: generation, day: $0.dayKey))
        }
        var rows = Self.chunked(buttons, by: 3)
        if offerKeepCurrent { rows.append([self.button(.buttonKeepCurrent, .keepCurrent)]) }
        return self.inline(rows)
    }

    /// One button per slot of the day, four per row, then "back to dates".
    func times(_ slots: [Slot], generation: Int) -> ReplyMarkup {
        let buttons = slots.sorted().map {
            InlineButton(
                text: self.timeZone.local($0.start).time,
                callback: .time(generation: generation, epoch: $0.epoch)
            )
        }
        return self.inline(
            Self.chunked(buttons, by: 4) + [[self.button(.buttonBack, .backToDates(generation: generation))]]
        )
    }

    /// Confirm the chosen slot, or choose another.
    func confirm(_ slot: Slot, generation: Int) -> ReplyMarkup {
        self.inline([
            [self.button(.buttonConfirm, .confirm(generation: generation, epoch: slot.epoch))],
            [self.button(.buttonChangeSlot, .backToDates(generation: generation))],
        ])
    }

    /// Retry loading slots; "keep current time" while rescheduling.
    func retry(offerKeepCurrent: Bool) -> ReplyMarkup {
        var rows = [[self.button(.buttonRetry, .retrySlots)]]
        if offerKeepCurrent { rows.append([self.button(.buttonKeepCurrent, .keepCurrent)]) }
        return self.inline(rows)
    }

    /// Reschedule or cancel the booked lesson.
    func scheduled(_ lesson: BookedLesson) -> ReplyMarkup {
        self.inline([
            [self.button(.buttonReschedule, .reschedule(epoch: lesson.slot.epoch))],
            [self.button(.buttonCancelLesson, .cancelLesson(epoch: lesson.slot.epoch))],
        ])
    }

    /// Yes / no to moving the lesson.
    func confirmReschedule(_ lesson: BookedLesson) -> ReplyMarkup {
        self.inline([
            [
                self.button(.buttonYes, .rescheduleConfirmed(epoch: lesson.slot.epoch)),
                self.button(.buttonNo, .keepLesson(epoch: lesson.slot.epoch)),
            ]
        ])
    }

    /// Yes / no to cancelling the lesson.
    func confirmCancel(_ lesson: BookedLesson) -> ReplyMarkup {
        self.inline([
            [
                self.button(.buttonYes, .cancelConfirmed(epoch: lesson.slot.epoch)),
                self.button(.buttonNo, .keepLesson(epoch: lesson.slot.epoch)),
            ]
        ])
    }

    /// Book a new lesson after cancelling.
    var bookAgain: ReplyMarkup { self.inline([[self.button(.buttonBookAgain, .bookAgain)]]) }

    /// "↩ Back" under AI answers.
    var returnToStep: ReplyMarkup { self.inline([[self.button(.buttonReturn, .returnToStep)]]) }

    /// `Пн 16.06`.
    func dayLabel(_ local: LocalDateTime) -> String {
        let names = self.texts.weekdays(self.language)
        return (names.indices.contains(local.weekday) ? names[local.weekday] + " " : "") + local.dayMonth
    }

    private func button(_ key: AcademyTextKey, _ callback: AcademyCallback) -> InlineButton {
        InlineButton(text: self.texts.render(key, self.language), callback: callback)
    }

    private func inline(_ rows: [[InlineButton]]) -> ReplyMarkup { .inline(InlineKeyboard(rows: rows)) }

    private static func chunked(_ buttons: [InlineButton], by size: Int) -> [[InlineButton]] {
        stride(from: 0, to: buttons.count, by: size).map { Array(buttons[$0..<min($0 + size, buttons.count)]) }
    }
}
