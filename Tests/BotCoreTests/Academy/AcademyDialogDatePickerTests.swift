import BotCore
import FoundationEssentials
import Testing

@Suite struct AcademyDialogDatePickerTests {
    typealias Fixtures = AcademyFixtures
    static let texts = AcademyFixtures.texts

    @Test func freshSlotsShowTheirDatesInOrder() {
        var chat = AcademyChat.at(.loadingSlots)
        let tooSoon = Slot(start: chat.now.addingTimeInterval(30 * 60), durationSeconds: 2700)
        let tooLate = Fixtures.slot(day: 30, hourUTC: 15)
        let effects = chat.send(.slotsLoaded(Fixtures.freeSlots + [tooSoon, tooLate, Fixtures.tuesday18]))
        #expect(
            effects == [
                .send(
                    Self.texts.message(
                        .chooseDate,
                        .ru,
                        markup: .inline(
                            InlineKeyboard(rows: [
                                [
                                    InlineButton(text: "Вт 17.06", callback: .date(generation: 1, day: "20250617")),
                                    InlineButton(text: "Чт 19.06", callback: .date(generation: 1, day: "20250619")),
                                ]
                            ])
                        )
                    )
                )
            ]
        )
        #expect(chat.state.step == .choosingDate)
        #expect(chat.state.slots == [Fixtures.tuesday18, Fixtures.tuesday19, Fixtures.thursday17])
        #expect(chat.state.pickerGeneration == 1)
    }

    @Test func datesAreInTheAcademysZone() {
        var settings = Fixtures.settings
        settings.timeZone = .fixed(hours: -16)
        var chat = AcademyChat(dialog: AcademyDialog(settings: settings))
        for event in AcademyChat.at(.loadingSlots).path { chat.send(event) }
        let effects = chat.send(.slotsLoaded([Fixtures.tuesday18]))
        #expect(effects.buttons.map(\.text) == ["Пн 16.06"])
    }

    @Test func englishDatesUseEnglishWeekdays() {
        var chat = AcademyChat.at(.loadingSlots, languageCode: "en")
        let effects = chat.send(.slotsLoaded(Fixtures.freeSlots))
        #expect(effects.buttons.map(\.text) == ["Tue 17.06", "Thu 19.06"])
        #expect(effects.messages.first?.text == "Choose a day:")
    }

    @Test func manyDaysWrapThreePerRow() {
        var chat = AcademyChat.at(.loadingSlots)
        let slots = (17...26).map { Fixtures.slot(day: $0, hourUTC: 12) }
        let effects = chat.send(.slotsLoaded(slots))
        let rows = effects.messages.first?.markup?.inlineKeyboard?.rows.map(\.count)
        #expect(rows == [3, 3, 3, 1])
    }

    @Test func noSlotsOffersRetryAndTheManager() {
        var chat = AcademyChat.at(.loadingSlots)
        let effects = chat.send(.slotsLoaded([]))
        #expect(effects.keys == [.noSlots])
        #expect(effects.messages.first?.text.contains(Fixtures.managerLink) == true)
        #expect(effects.buttons.map(\.callbackData) == ["retry"])
        #expect(chat.state.step == .slotsUnavailable)
        let retry = chat.press(.retrySlots)
        #expect(retry == [.answerCallback(id: "cb1", text: nil), .loadSlots(from: chat.now, days: 14)])
        #expect(chat.state.step == .loadingSlots)
    }

    @Test func calendarFailureOffersRetry() {
        var chat = AcademyChat.at(.loadingSlots)
        let effects = chat.send(.slotsUnavailable)
        #expect(effects.keys == [.slotsUnavailable])
        #expect(effects.buttons.map(\.callbackData) == ["retry"])
        #expect(chat.state.step == .slotsUnavailable)
    }

    @Test func choosingADateEditsTheMessageToShowItsTimes() {
        var chat = AcademyChat.at(.choosingDate)
        let effects = chat.press(.date(generation: 1, day: "20250617"), messageID: 310)
        #expect(
            effects == [
                .answerCallback(id: "cb1", text: nil),
                .edit(
                    messageID: 310,
                    Self.texts.message(
                        .chooseTime,
                        .ru,
                        ["date": "Вт 17.06"],
                        markup: .inline(
                            InlineKeyboard(rows: [
                                [
                                    InlineButton(
                                        text: "18:00",
                                        callback: .time(generation: 1, epoch: Fixtures.tuesday18.epoch)
                                    ),
                                    InlineButton(
                                        text: "19:00",
                                        callback: .time(generation: 1, epoch: Fixtures.tuesday19.epoch)
                                    ),
                                ],
                                [InlineButton(text: "← К датам", callback: .backToDates(generation: 1))],
                            ])
                        )
                    )
                ),
            ]
        )
        #expect(chat.state.step == .choosingTime)
        #expect(chat.state.chosenDay == "20250617")
    }

    @Test func withoutTheMessageThePickerSendsANewOne() {
        var chat = AcademyChat.at(.choosingDate)
        let effects = chat.press(.date(generation: 1, day: "20250617"), messageID: nil)
        guard case .send(let message) = effects.last else {
            Issue.record("expected a new message, got \(effects)")
            return
        }
        #expect(message.key == .chooseTime)
    }

    @Test func backReturnsFromTimesToDates() {
        var chat = AcademyChat.at(.choosingTime)
        let effects = chat.press(.backToDates(generation: 1))
        #expect(effects.keys == [.chooseDate])
        #expect(effects.buttons.map(\.callbackData) == ["d:1:20250617", "d:1:20250619"])
        #expect(chat.state.step == .choosingDate)
        #expect(chat.state.chosenDay == nil)
    }

    @Test func choosingATimeAsksForConfirmation() {
        var chat = AcademyChat.at(.choosingTime)
        let effects = chat.press(.time(generation: 1, epoch: Fixtures.tuesday19.epoch), messageID: 310)
        #expect(
            effects == [
                .answerCallback(id: "cb1", text: nil),
                .edit(
                    messageID: 310,
                    Self.texts.message(
                        .confirmSlot,
                        .ru,
                        ["date": "Вт 17.06", "time": "19:00"],
                        markup: .inline(
                            InlineKeyboard(rows: [
                                [
                                    InlineButton(
                                        text: "✅ Подтвердить",
                                        callback: .confirm(generation: 1, epoch: Fixtures.tuesday19.epoch)
                                    )
                                ],
                                [InlineButton(text: "Выбрать другое время", callback: .backToDates(generation: 1))],
                            ])
                        )
                    )
                ),
            ]
        )
        #expect(chat.state.step == .confirmingSlot)
        #expect(chat.state.chosenSlot == Fixtures.tuesday19)
    }

    @Test func changeFromTheConfirmationGoesBackToDates() {
        var chat = AcademyChat.at(.confirmingSlot)
        #expect(chat.press(.backToDates(generation: 1)).keys == [.chooseDate])
        #expect(chat.state.chosenSlot == nil)
    }

    @Test func confirmingBooksTheSlotOnce() {
        var chat = AcademyChat.at(.confirmingSlot)
        let effects = chat.press(.confirm(generation: 1, epoch: Fixtures.tuesday18.epoch), messageID: 310)
        let request = AcademyDialog.BookingRequest(
            slot: Fixtures.tuesday18,
            tgID: Fixtures.userID,
            name: "Анна",
            email: "anna@example.com",
            phone: "+79990001122",
            language: .ru
        )
        #expect(
            effects == [
                .answerCallback(id: "cb1", text: "Записываю…"),
                .edit(messageID: 310, Self.texts.message(.confirmSlot, .ru, ["date": "Вт 17.06", "time": "18:00"])),
                .bookLesson(request),
            ]
        )
        #expect(request.idempotencyKey == "book/5550001/1750172400")
        #expect(chat.state.step == .booking)
        // A second tap while booking is stale and books nothing.
        let again = chat.press(.confirm(generation: 1, epoch: Fixtures.tuesday18.epoch))
        #expect(again.callbackAnswers == ["Эта кнопка устарела"])
        #expect(!again.contains { if case .bookLesson = $0 { true } else { false } })
        #expect(again.keys == [.pleaseWait])
    }

    @Test func bookedSendsTheLinkAndSchedulesBothReminders() {
        var chat = AcademyChat.at(.booking)
        let lesson = Fixtures.lesson()
        let effects = chat.send(.booked(lesson))
        #expect(
            effects == [
                .updateLeadLesson(tgID: Fixtures.userID, .scheduled(lesson)),
                .send(
                    AcademyMessage(
                        key: .booked,
                        text: "Готово! Вы записаны на пробный урок Вт 17.06 в 18:00.\nСсылка на урок: https://zoom.us/j/1750172400"
                            + "\nМы напомним о занятии за 24 часа и за 5 часов.",
                        markup: .inline(
                            InlineKeyboard(rows: [
                                [InlineButton(text: "Перенести урок", callback: .reschedule(epoch: 1_750_172_400))],
                                [InlineButton(text: "Отменить урок", callback: .cancelLesson(epoch: 1_750_172_400))],
                            ])
                        )
                    )
                ),
                .scheduleReminder(LessonReminder(kind: .before24h, tgID: Fixtures.userID, lesson: lesson)),
                .scheduleReminder(LessonReminder(kind: .before5h, tgID: Fixtures.userID, lesson: lesson)),
            ]
        )
        #expect(chat.state.step == .scheduled)
        #expect(chat.state.lesson == lesson)
        #expect(chat.send(.booked(lesson)).isEmpty, "a repeated result changes nothing")
    }

    @Test func remindersAlreadyDueAreSkipped() {
        // Booked at 12:00 local for 18:00 local the same day: the 24 h reminder is in the past.
        var chat = AcademyChat.at(.booking)
        let sameDay = Fixtures.slot(day: 16, hourUTC: 15)
        let effects = chat.send(.booked(Fixtures.lesson(sameDay)))
        let reminders = effects.compactMap { if case .scheduleReminder(let reminder) = $0 { reminder.id } else { nil } }
        #expect(reminders == ["remind5h/5550001/\(sameDay.epoch)"])
        var soon = AcademyChat.at(.booking)
        let inThreeHours = Slot(start: soon.now.addingTimeInterval(3 * 3600), durationSeconds: 2700)
        #expect(
            !soon.send(.booked(Fixtures.lesson(inThreeHours))).contains {
                if case .scheduleReminder = $0 { true } else { false }
            }
        )
    }

    @Test func takenSlotShowsFreshSlots() {
        var chat = AcademyChat.at(.booking)
        let effects = chat.send(.bookingFailed(.slotTaken))
        #expect(effects.keys == [.slotJustTaken])
        #expect(effects.actions == [.loadSlots(from: chat.now, days: 14)])
        #expect(chat.state.step == .loadingSlots)
        let fresh = chat.send(.slotsLoaded([Fixtures.thursday17]))
        #expect(fresh.buttons.map(\.callbackData) == ["d:2:20250619"])
    }

    @Test func bookingOutageTellsTheManagerAndOffersTheSameSlot() {
        var chat = AcademyChat.at(.booking)
        let effects = chat.send(.bookingFailed(.unavailable))
        #expect(effects.keys == [.bookingFailed, .confirmSlot])
        #expect(effects.actions == [.notifyManager(.bookingFailed(tgID: Fixtures.userID, slot: Fixtures.tuesday18))])
        #expect(effects.buttons.first?.callbackData == "c:1:1750172400")
        #expect(chat.state.step == .confirmingSlot)
    }

    @Test func buttonFromAnOlderPickerIsStale() {
        var chat = AcademyChat.at(.choosingTime)
        // A slot that vanished sends the user to fresh slots, shown under generation 2.
        chat.press(.time(generation: 1, epoch: Fixtures.slot(day: 17, hourUTC: 17).epoch))
        chat.send(.slotsLoaded(Fixtures.freeSlots))
        #expect(chat.state.pickerGeneration == 2)
        let effects = chat.press(.date(generation: 1, day: "20250617"))
        #expect(effects.callbackAnswers == ["Эта кнопка устарела"])
        #expect(effects.keys == [.staleSlots])
        #expect(effects.actions == [.loadSlots(from: chat.now, days: 14)])
        #expect(chat.state.step == .loadingSlots)
    }

    @Test func slotMissingFromTheFreshListIsStale() {
        var chat = AcademyChat.at(.choosingTime)
        let gone = Fixtures.slot(day: 17, hourUTC: 17)
        let effects = chat.press(.time(generation: 1, epoch: gone.epoch))
        #expect(effects.callbackAnswers == ["Эта кнопка устарела"])
        #expect(effects.keys == [.staleSlots])
        #expect(chat.state.step == .loadingSlots)
    }

    @Test func slotThatBecameTooSoonIsStale() {
        var chat = AcademyChat.at(.confirmingSlot)
        chat.now = Fixtures.tuesday18.start.addingTimeInterval(-30 * 60)
        let effects = chat.press(.confirm(generation: 1, epoch: Fixtures.tuesday18.epoch))
        #expect(effects.callbackAnswers == ["Эта кнопка устарела"])
        #expect(!effects.contains { if case .bookLesson = $0 { true } else { false } })
        #expect(chat.state.step == .loadingSlots)
    }

    @Test func dateWithoutSlotsLeftIsStale() {
        var chat = AcademyChat.at(.choosingDate)
        #expect(chat.press(.date(generation: 1, day: "20250618")).keys == [.staleSlots])
    }

    @Test func pickerButtonOutsideThePickerRepeatsTheStep() {
        var chat = AcademyChat.at(.scheduled)
        let effects = chat.press(.date(generation: 1, day: "20250617"))
        #expect(effects.callbackAnswers == ["Эта кнопка устарела"])
        #expect(effects.keys == [.scheduledInfo])
        #expect(chat.state.step == .scheduled)
    }

    @Test func waitingForSlotsAsksAgainWhenPoked() {
        var chat = AcademyChat.at(.loadingSlots)
        let effects = chat.text("ну что там?")
        #expect(effects.keys == [.pleaseWait])
        #expect(effects.actions == [.loadSlots(from: chat.now, days: 14)])
    }

    @Test func manyTimesAreCapped() {
        var chat = AcademyChat.at(.loadingSlots)
        let slots = (0..<40).map { Fixtures.slot(day: 17, hourUTC: 0, minute: $0 * 30) }
        chat.send(.slotsLoaded(slots))
        let buttons = chat.press(.date(generation: 1, day: "20250617")).buttons
        #expect(buttons.count == 24 + 1)
        #expect(buttons.first?.text == "03:00")
        #expect(buttons.last?.callbackData == "bd:1")
    }
}
