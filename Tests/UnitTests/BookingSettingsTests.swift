import Academy
import AcademyTime
import BotCore
import Foundation
import Platform
import Testing

@Suite("Booking settings")
struct BookingSettingsTests {
    static let zoom = ["ZOOM_ACCOUNT_ID": "acc", "ZOOM_CLIENT_ID": "cid", "ZOOM_CLIENT_SECRET": "secret"]

    static func read(_ environment: [String: String]) -> (BookingSettings, [ConfigurationError.Problem]) {
        var reader = EnvironmentReader(environment)
        let settings = BookingSettings.read(&reader)
        return (settings, reader.problems)
    }

    @Test func defaults() {
        let (settings, problems) = Self.read(Self.zoom)
        #expect(problems.isEmpty)
        #expect(settings.zoom.oauthURL == "https://zoom.us")
        #expect(settings.zoom.apiURL == "https://api.zoom.us")
        #expect(settings.zoom.userID == "me")
        #expect(settings.timeZoneIdentifier == "Europe/Moscow")
        #expect(settings.lessonMinutes == 45)
        #expect(settings.openingMinute == 600 && settings.closingMinute == 1140)
        #expect(settings.weekdays == [0, 1, 2, 3, 4])
        #expect(settings.stepMinutes == 60)
        #expect(settings.slotsCacheSeconds == 30)
        #expect(settings.minimumNoticeSeconds == 12 * 3600)
        #expect(!"\(settings.zoom)".contains("secret"))
    }

    @Test func theZoomCredentialsAreRequired() {
        let (_, problems) = Self.read([:])
        #expect(Set(problems.map(\.variable)) == ["ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"])
    }

    struct Days: Sendable, CustomTestStringConvertible {
        let text: String
        let days: Set<Int>?
        var testDescription: String { self.text }
    }

    @Test(arguments: [
        Days(text: "mon-fri", days: [0, 1, 2, 3, 4]),
        Days(text: "mon,wed,fri", days: [0, 2, 4]),
        Days(text: "Sat-Sun", days: [5, 6]),
        Days(text: "fri-mon", days: [4, 5, 6, 0]),
        Days(text: "monday-wednesday, sun", days: [0, 1, 2, 6]),
        Days(text: "tue", days: [1]),
        Days(text: "", days: nil),
        Days(text: "mon-", days: nil),
        Days(text: "mon-tue-wed", days: nil),
        Days(text: "mo-fr", days: nil),
        Days(text: "mon,,fri", days: nil),
    ])
    func lessonDays(_ example: Days) {
        #expect(BookingSettings.parseDays(example.text) == example.days)
    }

    @Test(arguments: [
        ("10:00-19:00", 600, 1140), ("9:30 - 18:15", 570, 1095), ("00:00-24:00", 0, 1440),
    ])
    func lessonHours(_ text: String, _ opening: Int, _ closing: Int) throws {
        let parsed = try #require(BookingSettings.parseHours(text))
        #expect(parsed == (opening, closing))
    }

    @Test(arguments: ["19:00-10:00", "10:00", "10-19", "25:00-26:00", "10:60-11:00", "24:00-24:30", "10:00-24:01"])
    func badLessonHours(_ text: String) {
        #expect(BookingSettings.parseHours(text) == nil)
    }

    @Test(arguments: [
        ("ACADEMY_TIME_ZONE", "Mars/Olympus"), ("LESSON_MINUTES", "0"), ("LESSON_HOURS", "19:00-10:00"),
        ("LESSON_HOURS", "10:00-10:30"), ("LESSON_DAYS", "weekdays"), ("SLOT_STEP_MINUTES", "x"),
        ("SLOTS_CACHE_SECONDS", "-1"), ("ZOOM_API_URL", "api.zoom.us"), ("ZOOM_OAUTH_URL", "zoom"),
        ("ZOOM_USER_ID", "a/b"), ("SLOT_MIN_NOTICE_HOURS", "-1"), ("SLOT_MIN_NOTICE_HOURS", "169"),
        ("SLOT_MIN_NOTICE_HOURS", "12h"),
    ])
    func anInvalidValueNamesItsVariable(_ variable: String, _ value: String) {
        let (_, problems) = Self.read(Self.zoom.merging([variable: value]) { _, new in new })
        #expect(problems.map(\.variable) == [variable], "problems: \(problems)")
    }

    @Test func customValues() {
        let (settings, problems) = Self.read(
            Self.zoom.merging([
                "ACADEMY_TIME_ZONE": "Asia/Bishkek", "LESSON_MINUTES": "30", "LESSON_HOURS": "09:00-21:00",
                "LESSON_DAYS": "mon-sat", "SLOT_STEP_MINUTES": "30", "SLOTS_CACHE_SECONDS": "0",
                "ZOOM_API_URL": "http://127.0.0.1:9/", "ZOOM_USER_ID": "teacher@example.com",
                "SLOT_MIN_NOTICE_HOURS": "2",
            ]) { _, new in new })
        #expect(problems.isEmpty)
        #expect(settings.minimumNoticeSeconds == 7200)
        #expect(settings.timeZoneIdentifier == "Asia/Bishkek")
        #expect(settings.zoom.apiURL == "http://127.0.0.1:9")
        #expect(settings.zoom.userID == "teacher@example.com")
        let grid = LessonBooking.grid(settings, minimumNoticeSeconds: 600)
        #expect(
            grid
                == SlotGrid(
                    openingMinute: 540, closingMinute: 1260, weekdays: [0, 1, 2, 3, 4, 5], lessonMinutes: 30,
                    stepMinutes: 30,
                    minimumNoticeSeconds: 600))
    }

    @Test func aNamedZoneFollowsDaylightSaving() throws {
        let berlin = try #require(AcademyTimeZone.named("Europe/Berlin"))
        #expect(berlin.secondsFromGMT(for: Date(timeIntervalSince1970: 1_743_296_399)) == 3600)
        #expect(berlin.secondsFromGMT(for: Date(timeIntervalSince1970: 1_743_296_400)) == 7200)
        #expect(AcademyTimeZone.named("Europe/Moscow")?.secondsFromGMT(for: Date()) == 3 * 3600)
        #expect(AcademyTimeZone.named("Nowhere/Special") == nil)
    }
}
