import BotCore
import FoundationEssentials
import Testing

@Suite struct AcademyDialogLessonTests {
    typealias Fixtures = AcademyFixtures
    static let epoch = AcademyFixtures.tuesday18.epoch

    @Test func rescheduleAsksForConfirmation() {
        var chat = AcademyChat.at(.scheduled)
        let effects = chat.press(.reschedule(epoch: Self.epoch))
        #expect(effects.keys == [.confirmReschedule])
        #expect(effects.messages.first?.text == "Перенести урок Вт 17.06 в 18:00 на другое время?")
        #expect(effects.buttons.map(\.callbackData) == ["rsy:1750172400", "no:1750172400"])
        #expect(chat.state.step == .confirmingReschedule)
    }

    @Test func noKeepsTheLesson() {
        for step in [AcademyDialog.Step.confirmingReschedule, .confirmingCancel] {
            var chat = AcademyChat.at(step)
            let effects = chat.press(.keepLesson(epoch: Self.epoch))
            #expect(effects.keys == [.scheduledInfo])
            #expect(effects.actions.isEmpty)
            #expect(chat.state.step == .scheduled)
        }
    }

    @Test func confirmedRescheduleOpensThePickerWithKeepCurrent() {
        var chat = AcademyChat.at(.confirmingReschedule)
        let effects = chat.press(.rescheduleConfirmed(epoch: Self.epoch))
        #expect(effects == [.answerCallback(id: "cb1", text: nil), .loadSlots(from: chat.now, days: 14)])
        #expect(chat.state.rescheduling)
        #expect(chat.state.lesson == Fixtures.lesson())
        let dates = chat.send(.slotsLoaded([Fixtures.thursday17]))
        #expect(dates.buttons.map(\.callbackData) == ["d:2:20250619", "keep"])
    }

    @Test func keepCurrentLeavesThePicker() {
        var chat = AcademyChat.at(.confirmingReschedule)
        chat.press(.rescheduleConfirmed(epoch: Self.epoch))
        chat.send(.slotsLoaded([Fixtures.thursday17]))
        let effects = chat.press(.keepCurrent)
        #expect(effects.keys == [.scheduledInfo])
        #expect(effects.actions.isEmpty)
        #expect(chat.state.step == .scheduled)
        #expect(!chat.state.rescheduling)
    }

    @Test func reschedulingReplacesTheOldMeetingEventAndReminders() {
        var chat = AcademyChat.at(.confirmingReschedule)
        let old = Fixtures.lesson()
        chat.press(.rescheduleConfirmed(epoch: Self.epoch))
        chat.send(.slotsLoaded([Fixtures.thursday17]))
        chat.press(.date(generation: 2, day: "20250619"))
        chat.press(.time(generation: 2, epoch: Fixtures.thursday17.epoch))
        let booking = chat.press(.confirm(generation: 2, epoch: Fixtures.thursday17.epoch))
        #expect(
            booking.contains {
                if case .bookLesson(let request) = $0 { request.slot == Fixtures.thursday17 } else { false }
            }
        )
        let new = Fixtures.lesson(Fixtures.thursday17, meeting: "zoom-2")
        let effects = chat.send(.booked(new))
        #expect(
            effects.actions == [
                .cancelReminder(id: "remind24h/5550001/1750172400"),
                .cancelReminder(id: "remind5h/5550001/1750172400"),
                .cancelBooking(old),
                .updateLeadLesson(tgID: Fixtures.userID, .scheduled(new)),
                .scheduleReminder(LessonReminder(kind: .before24h, tgID: Fixtures.userID, lesson: new)),
                .scheduleReminder(LessonReminder(kind: .before5h, tgID: Fixtures.userID, lesson: new)),
            ]
        )
        #expect(effects.keys == [.booked])
        #expect(chat.state.lesson == new)
        #expect(!chat.state.rescheduling)
        #expect(chat.state.step == .scheduled)
    }

    @Test func failedRescheduleKeepsTheOldLesson() {
        var chat = AcademyChat.at(.confirmingReschedule)
        chat.press(.rescheduleConfirmed(epoch: Self.epoch))
        chat.send(.slotsUnavailable)
        #expect(chat.state.lesson == Fixtures.lesson())
        let effects = chat.press(.keepCurrent)
        #expect(effects.keys == [.scheduledInfo])
    }

    @Test func cancelAsksThenCancelsEverything() {
        var chat = AcademyChat.at(.scheduled)
        #expect(chat.press(.cancelLesson(epoch: Self.epoch)).keys == [.confirmCancel])
        let lesson = Fixtures.lesson()
        let effects = chat.press(.cancelConfirmed(epoch: Self.epoch))
        #expect(
            effects.actions == [
                .cancelReminder(id: "remind24h/5550001/1750172400"),
                .cancelReminder(id: "remind5h/5550001/1750172400"),
                .cancelBooking(lesson),
                .updateLeadLesson(tgID: Fixtures.userID, .cancelled),
            ]
        )
        #expect(effects.keys == [.lessonCancelled])
        #expect(effects.buttons.map(\.callbackData) == ["book"])
        #expect(chat.state.step == .lessonCancelled)
        #expect(chat.state.lesson == nil)
    }

    @Test func bookAgainGoesStraightToThePicker() {
        var chat = AcademyChat.at(.lessonCancelled)
        let effects = chat.press(.bookAgain)
        #expect(effects == [.answerCallback(id: "cb1", text: nil), .loadSlots(from: chat.now, days: 14)])
        #expect(chat.state.step == .loadingSlots)
        #expect(!chat.state.rescheduling)
    }

    @Test func confirmationWithoutTheQuestionIsStale() {
        var chat = AcademyChat.at(.scheduled)
        let effects = chat.press(.cancelConfirmed(epoch: Self.epoch))
        #expect(effects.callbackAnswers == ["Эта кнопка устарела"])
        #expect(effects.actions.isEmpty)
        #expect(chat.state.lesson != nil)
    }

    @Test func buttonsOfAMovedLessonAreStale() {
        var chat = AcademyChat.at(.scheduled)
        let other = Fixtures.thursday17.epoch
        for callback in [
            AcademyCallback.reschedule(epoch: other), .cancelLesson(epoch: other), .keepLesson(epoch: other),
        ] {
            let effects = chat.press(callback)
            #expect(effects.callbackAnswers == ["Эта кнопка устарела"])
            #expect(effects.keys == [.scheduledInfo])
        }
        #expect(chat.state.step == .scheduled)
    }

    @Test func startedLessonCannotBeChanged() {
        var chat = AcademyChat.at(.scheduled)
        chat.now = Fixtures.tuesday18.start.addingTimeInterval(60)
        let effects = chat.press(.cancelLesson(epoch: Self.epoch))
        #expect(effects.keys == [.lessonAlreadyStarted])
        #expect(effects.actions.isEmpty)
        #expect(chat.state.step == .scheduled)
    }

    @Test func startWithAComingLessonShowsIt() {
        var chat = AcademyChat.at(.scheduled)
        let effects = chat.send(.start(payload: "lead_x", languageCode: "ru"))
        #expect(effects.keys == [.scheduledInfo])
        #expect(
            effects.messages.first?.text == "Ваш пробный урок: Вт 17.06 в 18:00.\nСсылка: https://zoom.us/j/1750172400"
        )
        #expect(chat.state.step == .scheduled)
    }

    @Test func startAfterTheLessonWelcomesAgain() {
        var chat = AcademyChat.at(.scheduled)
        chat.now = Fixtures.tuesday18.end.addingTimeInterval(60)
        #expect(chat.send(.start(payload: nil, languageCode: "ru")).keys == [.welcome, .consentRequest])
        #expect(chat.state.lesson == nil)
    }

    @Test func bookingThatArrivesLateIsStillAdopted() {
        var chat = AcademyChat.at(.booking)
        chat.send(.start(payload: nil, languageCode: "ru"))
        let lesson = Fixtures.lesson()
        let effects = chat.send(.booked(lesson))
        #expect(effects.keys == [.booked])
        #expect(chat.state.lesson == lesson)
        #expect(chat.state.step == .scheduled)
    }
}
