import FoundationEssentials

/// The booked lesson: success, reminders, reschedule and cancel.
extension AcademyTurn {
    /// `date`, `time` and `link` placeholder values for a lesson.
    func lessonValues(_ lesson: BookedLesson) -> [String: String] {
        self.slotValues(lesson.slot).merging(["link": lesson.joinURL]) { current, _ in current }
    }

    /// The reminders that will go out for `lesson`: those of 24 h and 5 h before it that are still ahead of `now`.
    /// The one rule for both what is scheduled (`reminders(for:)`) and what the confirmation promises.
    func upcomingReminders(for lesson: BookedLesson) -> [LessonReminder] {
        LessonReminder.Kind.allCases
            .map { LessonReminder(kind: $0, tgID: self.state.userID, lesson: lesson) }
            .filter { $0.at > self.now }
    }

    /// Schedules the upcoming reminders of `lesson`.
    func reminders(for lesson: BookedLesson) -> [Effect] {
        self.upcomingReminders(for: lesson).map { .scheduleReminder($0) }
    }

    /// The booking confirmation, ending with the promise of exactly the reminders `reminders(for:)` schedules
    /// (none for a lesson less than 5 h away).
    func bookedMessage(_ lesson: BookedLesson) -> AcademyMessage {
        var text = self.texts.render(.booked, self.state.language, self.lessonValues(lesson))
        if let promise = LessonReminder.promise(of: self.upcomingReminders(for: lesson).map(\.kind)) {
            text += "\n" + self.texts.render(promise, self.state.language)
        }
        return AcademyMessage(key: .booked, text: text, markup: self.keyboards.scheduled(lesson))
    }

    /// Cancels both reminders of a lesson (cancelling one that never existed is harmless).
    func cancelReminders(of lesson: BookedLesson) -> [Effect] {
        LessonReminder.Kind.allCases.map {
            .cancelReminder(id: LessonReminder.id(kind: $0, tgID: self.state.userID, lessonStart: lesson.slot))
        }
    }

    /// A booking succeeded, whatever the step: adopt it, replacing an earlier lesson when rescheduling.
    mutating func handleBooked(_ lesson: BookedLesson) -> [Effect] {
        guard lesson != self.state.lesson else { return [] }
        var effects: [Effect] = []
        if let old = self.state.lesson {
            effects += self.cancelReminders(of: old) + [.cancelBooking(old)]
        }
        self.state.lesson = lesson
        self.state.rescheduling = false
        self.state.chosenDay = nil
        self.state.chosenSlot = nil
        self.state.aiMode = false
        self.state.step = .scheduled
        effects.append(.updateLeadLesson(tgID: self.state.userID, .scheduled(lesson)))
        effects.append(.send(self.bookedMessage(lesson)))
        return effects + self.reminders(for: lesson)
    }

    /// Shows the lesson, or the pending reschedule/cancel question.
    mutating func showLessonStep() -> [Effect] {
        guard let lesson = self.state.lesson else { return self.start(payload: nil) }
        let values = self.slotValues(lesson.slot)
        switch self.state.step {
        case .confirmingReschedule:
            return [self.send(.confirmReschedule, values, markup: self.keyboards.confirmReschedule(lesson))]
        case .confirmingCancel:
            return [self.send(.confirmCancel, values, markup: self.keyboards.confirmCancel(lesson))]
        default:
            self.state.step = .scheduled
            return [self.send(.scheduledInfo, self.lessonValues(lesson), markup: self.keyboards.scheduled(lesson))]
        }
    }

    /// A lesson button; nil when it is stale (another lesson, or the wrong step).
    mutating func handleLessonButton(_ callback: AcademyCallback) -> [Effect]? {
        let lessonSteps: Set<Step> = [.scheduled, .confirmingReschedule, .confirmingCancel]
        guard let lesson = self.state.lesson, lessonSteps.contains(self.state.step) else { return nil }
        let epoch = lesson.slot.epoch
        switch callback {
        case .reschedule(epoch), .cancelLesson(epoch), .rescheduleConfirmed(epoch), .cancelConfirmed(epoch):
            guard lesson.start > self.now else {
                return [self.send(.lessonAlreadyStarted, ["manager": self.settings.managerLink])]
            }
        case .keepLesson(epoch):
            break
        default:
            return nil
        }
        switch callback {
        case .reschedule:
            self.state.step = .confirmingReschedule
            return self.showLessonStep()
        case .cancelLesson:
            self.state.step = .confirmingCancel
            return self.showLessonStep()
        case .rescheduleConfirmed where self.state.step == .confirmingReschedule:
            self.state.rescheduling = true
            return self.loadSlots()
        case .cancelConfirmed where self.state.step == .confirmingCancel:
            return self.cancel(lesson)
        case .keepLesson where self.state.step != .scheduled:
            self.state.step = .scheduled
            return self.showLessonStep()
        default:
            return nil
        }
    }

    /// Cancels reminders, meeting and event; the lead becomes CANCELLED.
    private mutating func cancel(_ lesson: BookedLesson) -> [Effect] {
        self.state.lesson = nil
        self.state.step = .lessonCancelled
        return self.cancelReminders(of: lesson) + [
            .cancelBooking(lesson),
            .updateLeadLesson(tgID: self.state.userID, .cancelled),
            self.send(.lessonCancelled, markup: self.keyboards.bookAgain),
        ]
    }

    /// "Keep my current time" while rescheduling: back to the lesson, the picker is abandoned.
    mutating func keepCurrentLesson() -> [Effect]? {
        let steps: Set<Step> = [.loadingSlots, .slotsUnavailable, .choosingDate, .choosingTime, .confirmingSlot]
        guard self.offersKeepCurrent, steps.contains(self.state.step) else { return nil }
        self.state.rescheduling = false
        self.state.step = .scheduled
        return self.showLessonStep()
    }

    /// "Book again" after cancelling: straight to the picker when registration is complete.
    mutating func bookAgain() -> [Effect]? {
        guard self.state.step == .lessonCancelled else { return nil }
        guard self.state.phone != nil, self.state.email != nil, self.state.name != nil else {
            return self.start(payload: nil)
        }
        return self.loadSlots()
    }
}
