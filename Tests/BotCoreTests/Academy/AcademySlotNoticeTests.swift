import BotCore
import FoundationEssentials
import Testing

/// Slots a parent can really make, and a confirmation that promises only the reminders that will go out.
@Suite struct AcademySlotNoticeTests {
    typealias Fixtures = AcademyFixtures

    /// Monday 2025-06-16 04:45 UTC (07:45 in the academy's UTC+3): the parent writing at dawn.
    static let dawn = Date(timeIntervalSince1970: 1_750_049_100)

    /// The default timetable (10:00-19:00, Monday to Friday, 45 minutes every hour) with the dialog's notice.
    static func grid(_ settings: AcademySettings) -> SlotGrid {
        SlotGrid(
            openingMinute: 600, closingMinute: 1140, weekdays: [0, 1, 2, 3, 4], lessonMinutes: 45, stepMinutes: 60,
            minimumNoticeSeconds: settings.minimumNoticeSeconds)
    }

    /// A dialog with `settings`, registered at `now` and waiting for slots.
    static func loadingSlots(_ settings: AcademySettings, at now: Date, languageCode: String = "ru") -> AcademyChat {
        var chat = AcademyChat(languageCode: languageCode, now: now, dialog: AcademyDialog(settings: settings))
        for event in AcademyChat.path(to: .loadingSlots, languageCode: languageCode) { chat.send(event) }
        return chat
    }

    /// The reminder ids scheduled among `effects`.
    static func reminderKinds(_ effects: [AcademyDialog.Effect]) -> [LessonReminder.Kind] {
        effects.compactMap { if case .scheduleReminder(let reminder) = $0 { reminder.kind } else { nil } }
    }

    @Test func atDawnTheFirstSlotOfferedIsTomorrowMorningWithBothReminders() throws {
        var chat = Self.loadingSlots(Fixtures.settings, at: Self.dawn)
        let grid = Self.grid(Fixtures.settings)
        let slots = grid.freeSlots(from: chat.now, days: 14, timeZone: Fixtures.settings.timeZone, busy: [])
        let sameMorning = Fixtures.slot(day: 16, hourUTC: 7)  // 10:00 local, 2 h 15 min after the parent wrote
        let tomorrow10 = Fixtures.slot(day: 17, hourUTC: 7)
        #expect(!slots.contains(sameMorning), "the grid keeps 12 h of notice")
        #expect(slots.first == tomorrow10)

        // Even a calendar answer (or a cache) that still holds this morning's slot is not offered.
        let effects = chat.send(.slotsLoaded([sameMorning] + slots))
        #expect(effects.buttons.first?.callbackData == AcademyCallback.date(generation: 1, day: "20250617").data)
        #expect(!effects.buttons.contains { $0.callbackData == AcademyCallback.date(generation: 1, day: "20250616").data })
        #expect(chat.state.slots.first == tomorrow10)

        chat.press(.date(generation: 1, day: "20250617"))
        chat.press(.time(generation: 1, epoch: tomorrow10.epoch))
        chat.press(.confirm(generation: 1, epoch: tomorrow10.epoch))
        let booked = chat.send(.booked(Fixtures.lesson(tomorrow10)))
        let text = try #require(booked.messages.first?.text)
        #expect(text.hasSuffix("\nМы напомним о занятии за 24 часа и за 5 часов."))
        #expect(Self.reminderKinds(booked) == [.before24h, .before5h])
    }

    @Test func aLessonEightHoursAwayIsPromisedOnlyTheFiveHourReminder() throws {
        var settings = Fixtures.settings
        settings.minimumNoticeSeconds = 3600
        var chat = Self.loadingSlots(settings, at: Self.dawn)
        let inEightHours = Slot(start: Self.dawn.addingTimeInterval(8 * 3600 + 15 * 60), durationSeconds: 2700)
        let booked = chat.send(.booked(Fixtures.lesson(inEightHours)))
        let text = try #require(booked.messages.first?.text)
        #expect(text.hasSuffix("\nМы напомним о занятии за 5 часов."))
        #expect(!text.contains("24"))
        #expect(Self.reminderKinds(booked) == [.before5h])
    }

    @Test func aLessonLessThanFiveHoursAwayIsPromisedNoReminder() throws {
        var settings = Fixtures.settings
        settings.minimumNoticeSeconds = 0
        var chat = Self.loadingSlots(settings, at: Self.dawn)
        let inThreeHours = Slot(start: Self.dawn.addingTimeInterval(3 * 3600), durationSeconds: 2700)
        let booked = chat.send(.booked(Fixtures.lesson(inThreeHours)))
        let text = try #require(booked.messages.first?.text)
        #expect(text.hasSuffix("https://zoom.us/j/\(inThreeHours.epoch)"))
        #expect(!text.contains("напомним"))
        #expect(Self.reminderKinds(booked).isEmpty)
    }

    @Test(arguments: AcademyLanguage.allCases)
    func everyPromiseMatchesTheScheduleInEveryLanguage(language: AcademyLanguage) throws {
        // For lessons from 1 h to 30 h ahead: the promised lead times are exactly the scheduled ones.
        for hours in [1, 4, 5, 6, 8, 23, 24, 25, 30] {
            var settings = Fixtures.settings
            settings.minimumNoticeSeconds = 0
            var chat = Self.loadingSlots(settings, at: Self.dawn, languageCode: language.rawValue)
            #expect(chat.state.language == language)
            let lesson = Fixtures.lesson(Slot(start: Self.dawn.addingTimeInterval(Double(hours) * 3600), durationSeconds: 2700))
            let effects = chat.send(.booked(lesson))
            let text = try #require(effects.messages.first?.text)
            let kinds = Self.reminderKinds(effects)
            let promise = LessonReminder.promise(of: kinds).map { Fixtures.texts.render($0, language) }
            #expect(promise.map { text.hasSuffix("\n" + $0) } ?? !text.contains("24"), "\(hours) h")
            #expect(kinds.map(\.secondsBefore).allSatisfy { lesson.slot.start.addingTimeInterval(-$0) > chat.now })
            #expect(kinds.count == (hours > 24 ? 2 : hours > 5 ? 1 : 0), "\(hours) h")
        }
    }
}
