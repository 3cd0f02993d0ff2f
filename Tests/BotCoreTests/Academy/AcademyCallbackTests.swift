import BotCore
import FoundationEssentials
import Testing

@Suite struct AcademyCallbackTests {
    /// Every kind of button, with the largest numbers the bot could put in it.
    static let all: [AcademyCallback] = [
        .consentAccept, .consentDecline, .date(generation: 999_999_999_999, day: "20991231"),
        .time(generation: 999_999_999_999, epoch: 999_999_999_999), .backToDates(generation: 999_999_999_999),
        .confirm(generation: 999_999_999_999, epoch: 999_999_999_999), .keepCurrent, .retrySlots,
        .reschedule(epoch: 999_999_999_999), .rescheduleConfirmed(epoch: 999_999_999_999),
        .cancelLesson(epoch: 999_999_999_999), .cancelConfirmed(epoch: 999_999_999_999),
        .keepLesson(epoch: 999_999_999_999), .bookAgain, .returnToStep,
    ]

    @Test(arguments: Self.all)
    func roundTripsWithinSixtyFourBytes(callback: AcademyCallback) {
        #expect(callback.data.utf8.count <= 64)
        #expect(!callback.data.isEmpty)
        #expect(AcademyCallback(data: callback.data) == callback)
    }

    @Test func dataIsCompact() {
        #expect(AcademyCallback.date(generation: 3, day: "20250617").data == "d:3:20250617")
        #expect(AcademyCallback.time(generation: 3, epoch: 1_750_172_400).data == "t:3:1750172400")
        #expect(AcademyCallback.cancelConfirmed(epoch: 1_750_172_400).data == "cly:1750172400")
    }

    @Test(arguments: [
        "", "gdpr", "gdpr:maybe", "d:1:2025061", "d:1:2025-06-17", "d:x:20250617", "t:1", "t:1:abc", "t:-1:5",
        "c:1:1:1", "bd", "rs:", "rs:1e9", "keep:1", "book:now", "unknown", "d:1:20250617:extra",
        "t:1:1234567890123", "ret ",
    ])
    func rejectsWhatTheBotNeverSent(data: String) {
        #expect(AcademyCallback(data: data) == nil)
    }
}

@Suite struct DeepLinkTests {
    @Test(arguments: [
        ("lead_42", "42"), ("lead_a1B2-c3_d4", "a1B2-c3_d4"),
        ("lead_" + String(repeating: "x", count: 59), String(repeating: "x", count: 59)),
    ])
    func readsLeadReferences(payload: String, ref: String) {
        #expect(DeepLink(payload: payload) == .lead(ref: ref))
    }

    @Test(arguments: [
        "", "lead_", "lead", "promo_42", "lead_42!", "lead_42 43", "lead_ёж",
        "lead_" + String(repeating: "x", count: 60),
        "LEAD_42",
    ])
    func ignoresOtherPayloads(payload: String) {
        #expect(DeepLink(payload: payload) == nil)
    }
}

@Suite struct PersonNameTests {
    @Test(arguments: [
        ("Анна", "Анна"), ("  Анна   Петровна ", "Анна Петровна"), ("Anna-Maria O'Neil", "Anna-Maria O'Neil"),
        ("Ж. Б.", "Ж. Б."), ("Jo", "Jo"), ("Алёна", "Алёна"), ("Айгерим Жумабекова", "Айгерим Жумабекова"),
    ])
    func accepts(raw: String, expected: String) {
        #expect(PersonName(raw)?.value == expected)
    }

    @Test(arguments: [
        "", "А", " a ", "Анна1", "anna@example.com", "+7 999 000 11 22", "😀😀", "https://x.ru", "-Анна",
        String(repeating: "а", count: 101), "Анна!",
    ])
    func rejects(raw: String) {
        #expect(PersonName(raw) == nil)
    }

    @Test func acceptsTheLongestName() {
        #expect(PersonName(String(repeating: "а", count: 100)) != nil)
    }
}

@Suite struct SpokenEmailTests {
    @Test(arguments: [
        ("ivan at gmail dot com", "ivan@gmail.com"),
        ("Ivan@mail.ru.", "ivan@mail.ru"),
        ("anna собака mail точка ru", "anna@mail.ru"),
        ("anna нижнее подчёркивание k at yandex dot ru!", "anna_k@yandex.ru"),
        ("a dash b at mail dot ru", "a-b@mail.ru"),
        ("anna@gmail.com", "anna@gmail.com"),
    ])
    func normalises(spoken: String, expected: String) {
        #expect(SpokenEmail.candidates(spoken) == [expected])
        #expect(EmailAddress.find(in: spoken) == .one(expected))
    }

    @Test func sentencesStayInvalid() {
        #expect(SpokenEmail.candidates("у меня нет почты").isEmpty)
        #expect(EmailAddress.find(in: "у меня нет почты") == .none)
    }

    @Test func onlyTheWordsJoinedToTheAtFormTheAddress() {
        #expect(SpokenEmail.candidates("моя почта anna собака mail точка ru спасибо") == ["anna@mail.ru"])
        #expect(SpokenEmail.candidates("I'm at home, anna at mail dot ru") == ["i'm@home", "anna@mail.ru"])
        #expect(EmailAddress.find(in: "I'm at home, anna at mail dot ru") == .one("anna@mail.ru"))
    }
}

@Suite struct AcademyTimeZoneTests {
    @Test func localTimeUsesTheOffset() {
        let local = AcademyTimeZone.fixed(hours: 3).local(AcademyFixtures.tuesday18.start)
        #expect(local == LocalDateTime(year: 2025, month: 6, day: 17, hour: 18, minute: 0, weekday: 1))
        #expect(local.dayKey == "20250617")
        #expect(local.dayMonth == "17.06")
        #expect(local.time == "18:00")
    }

    @Test func offsetCanMoveTheDay() {
        let late = AcademyFixtures.slot(day: 17, hourUTC: 22, minute: 30).start
        #expect(AcademyTimeZone.fixed(hours: 3).local(late).dayKey == "20250618")
        #expect(AcademyTimeZone.fixed(hours: -5).local(late).dayKey == "20250617")
        #expect(AcademyTimeZone.fixed(hours: 3).local(late).weekday == 2)
    }

    @Test func offsetMayDependOnTheInstant() {
        // A zone with daylight saving, as the runtime builds it from Foundation's TimeZone.
        let summer = AcademyFixtures.now
        let zone = AcademyTimeZone { $0 >= summer ? 3 * 3600 : 2 * 3600 }
        #expect(zone.local(summer).hour == 12)
        #expect(zone.local(summer.addingTimeInterval(-1)).hour == 10)
    }
}

@Suite struct LessonReminderTests {
    @Test func idsAreDeterministic() {
        let lesson = AcademyFixtures.lesson()
        let reminder = LessonReminder(kind: .before24h, tgID: 42, lesson: lesson)
        #expect(reminder.id == "remind24h/42/\(lesson.slot.epoch)")
        #expect(reminder.at == lesson.start.addingTimeInterval(-86_400))
        #expect(LessonReminder(kind: .before5h, tgID: 42, lesson: lesson).id == "remind5h/42/1750172400")
    }
}
