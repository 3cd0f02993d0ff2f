import FoundationEssentials

/// The date picker: load slots, dates, times of a date, confirmation, booking.
extension AcademyTurn {
    /// Whether "keep my current time" is offered: only while moving a booked lesson.
    var offersKeepCurrent: Bool { self.state.rescheduling && self.state.lesson != nil }

    /// Slots still offered at `now` (not too soon), in order.
    var offerableSlots: [Slot] {
        let earliest = self.now.addingTimeInterval(self.settings.minimumNoticeSeconds)
        return self.state.slots.filter { $0.start >= earliest }.sorted()
    }

    /// The offerable slots on a local day (`yyyymmdd`).
    func slots(on day: String) -> [Slot] {
        self.offerableSlots.filter { self.settings.timeZone.local($0.start).dayKey == day }
    }

    /// Asks the runtime for fresh slots.
    mutating func loadSlots() -> [Effect] {
        self.state.step = .loadingSlots
        self.state.chosenDay = nil
        self.state.chosenSlot = nil
        return self.pendingRequest()
    }

    /// Fresh slots arrived: keep those inside the window and show their dates under a new generation.
    mutating func showDates(fresh: [Slot]) -> [Effect] {
        let earliest = self.now.addingTimeInterval(self.settings.minimumNoticeSeconds)
        let latest = self.now.addingTimeInterval(Double(self.settings.slotWindowDays) * 86_400)
        let slots = Set(fresh.filter { $0.start >= earliest && $0.start < latest && $0.durationSeconds > 0 }).sorted()
        guard !slots.isEmpty else {
            self.state.step = .slotsUnavailable
            self.state.slots = []
            return [
                self.send(
                    .noSlots,
                    ["manager": self.settings.managerLink],
                    markup: self.keyboards.retry(offerKeepCurrent: self.offersKeepCurrent)
                )
            ]
        }
        self.state.slots = slots
        self.state.pickerGeneration += 1
        self.state.step = .choosingDate
        return self.showPickerStep(editing: nil)
    }

    /// Shows the current picker step; slots that went by meanwhile are dropped, and if nothing is left
    /// the slots are reloaded.
    mutating func showPickerStep(editing messageID: Int64?) -> [Effect] {
        let generation = self.state.pickerGeneration
        if self.state.step == .confirmingSlot, let slot = self.state.chosenSlot, self.offerableSlots.contains(slot) {
            return [
                self.present(
                    .confirmSlot,
                    self.slotValues(slot),
                    markup: self.keyboards.confirm(slot, generation: generation),
                    editing: messageID
                )
            ]
        }
        if self.state.step != .choosingDate, let day = self.state.chosenDay, let first = self.slots(on: day).first {
            self.state.step = .choosingTime
            self.state.chosenSlot = nil
            return [
                self.present(
                    .chooseTime,
                    ["date": self.slotValues(first)["date"] ?? ""],
                    markup: self.keyboards.times(
                        Array(self.slots(on: day).prefix(self.settings.maxTimesPerDay)),
                        generation: generation
                    ),
                    editing: messageID
                )
            ]
        }
        let slots = self.offerableSlots
        guard !slots.isEmpty else { return self.loadSlots() }
        self.state.step = .choosingDate
        self.state.chosenDay = nil
        self.state.chosenSlot = nil
        let markup = self.keyboards.dates(slots, generation: generation, offerKeepCurrent: self.offersKeepCurrent)
        return [self.present(.chooseDate, markup: markup, editing: messageID)]
    }

    /// A date-picker button; nil when it is stale (old message, slot gone or too soon, wrong step).
    mutating func handlePickerButton(_ callback: AcademyCallback, messageID: Int64?) -> [Effect]? {
        let pickerSteps: Set<Step> = [.choosingDate, .choosingTime, .confirmingSlot]
        guard pickerSteps.contains(self.state.step) else { return nil }
        switch callback {
        case .date(let generation, let day):
            guard generation == self.state.pickerGeneration, !self.slots(on: day).isEmpty else { return nil }
            self.state.chosenDay = day
            self.state.step = .choosingTime
            return self.showPickerStep(editing: messageID)
        case .time(let generation, let epoch):
            guard generation == self.state.pickerGeneration,
                let slot = self.offerableSlots.first(where: { $0.epoch == epoch })
            else { return nil }
            self.state.chosenSlot = slot
            self.state.step = .confirmingSlot
            return self.showPickerStep(editing: messageID)
        case .backToDates(let generation):
            guard generation == self.state.pickerGeneration else { return nil }
            self.state.step = .choosingDate
            return self.showPickerStep(editing: messageID)
        case .confirm(let generation, let epoch):
            guard generation == self.state.pickerGeneration, self.state.step == .confirmingSlot,
                let slot = self.state.chosenSlot, slot.epoch == epoch, self.offerableSlots.contains(slot)
            else { return nil }
            return self.book(slot, confirmationMessageID: messageID)
        default:
            return nil
        }
    }

    /// Books the slot; the confirmation loses its buttons so it can't be pressed twice.
    private mutating func book(_ slot: Slot, confirmationMessageID messageID: Int64?) -> [Effect] {
        self.state.step = .booking
        var effects: [Effect] = []
        if let messageID {
            effects.append(self.present(.confirmSlot, self.slotValues(slot), markup: nil, editing: messageID))
        }
        let request = AcademyDialog.BookingRequest(
            slot: slot,
            tgID: self.state.userID,
            name: self.state.name ?? "",
            email: self.state.email ?? "",
            phone: self.state.phone ?? "",
            language: self.state.language
        )
        return effects + [.bookLesson(request)]
    }

    /// A stale picker button: say so and show fresh slots.
    mutating func refreshStalePicker() -> [Effect] {
        [self.send(.staleSlots)] + self.loadSlots()
    }

    mutating func handleBookingFailure(_ failure: AcademyDialog.BookingFailure) -> [Effect] {
        guard let slot = self.state.chosenSlot else { return self.loadSlots() }
        switch failure {
        case .slotTaken:
            // Someone booked it between the picker and the confirmation (often at the same moment): say so.
            return [self.send(.slotJustTaken)] + self.loadSlots()
        case .unavailable:
            // Another time won't help while Zoom or the calendar is down: offer the same slot again.
            self.state.step = .confirmingSlot
            return [
                self.send(.bookingFailed, ["manager": self.settings.managerLink]),
                .notifyManager(.bookingFailed(tgID: self.state.userID, slot: slot)),
            ] + self.showPickerStep(editing: nil)
        }
    }
}
