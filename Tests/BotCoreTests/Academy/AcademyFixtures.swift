import BotCore
import FoundationEssentials

/// Texts, settings, times and slots shared by the academy tests.
enum AcademyFixtures {
    /// `/…/Tests/BotCoreTests/Academy/AcademyFixtures.swift` → `/…/resources/texts`.
    static let textsDirectory = URL(filePath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appending(path: "resources/texts")

    static func fileData(_ language: AcademyLanguage) throws -> Data {
        try Data(contentsOf: Self.textsDirectory.appending(path: language.catalogFileName))
    }

    static func catalog(_ language: AcademyLanguage) throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Self.fileData(language))
    }

    static func allFiles() throws -> [AcademyLanguage: Data] {
        try Dictionary(uniqueKeysWithValues: AcademyLanguage.allCases.map { ($0, try Self.fileData($0)) })
    }

    /// The bundled catalogs; the suites that load them also test loading, so a failure here is reported there.
    static let texts: AcademyTexts = {
        do { return try AcademyTexts(json: try Self.allFiles()) } catch { fatalError("academy texts: \(error)") }
    }()

    static let userID: Int64 = 5_550_001
    static let managerLink = "https://t.me/allin_manager"
    static let videoNote = "DQACAgIAAxkBAAIBvideo"

    /// The academy's zone in tests: UTC+3, no daylight saving; slots are offered from 12 h ahead (the default).
    static let settings = AcademySettings(
        texts: Self.texts,
        welcomeVideoNoteFileID: Self.videoNote,
        managerLink: Self.managerLink,
        timeZone: .fixed(hours: 3),
        minimumNoticeSeconds: 12 * 3600
    )

    static let dialog = AcademyDialog(settings: Self.settings)

    /// Monday 2025-06-16 09:00 UTC (12:00 in the academy's zone).
    static let now = Date(timeIntervalSince1970: 1_750_064_400)

    /// A 45-minute slot on a June 2025 day at an hour in UTC.
    static func slot(day: Int, hourUTC: Int, minute: Int = 0) -> Slot {
        let june1 = 1_748_736_000.0
        let seconds = june1 + Double((day - 1) * 86_400 + hourUTC * 3600 + minute * 60)
        return Slot(start: Date(timeIntervalSince1970: seconds), durationSeconds: 45 * 60)
    }

    /// Tue 17 June 18:00 and 19:00 local, Thu 19 June 17:00 local.
    static let tuesday18 = Self.slot(day: 17, hourUTC: 15)
    static let tuesday19 = Self.slot(day: 17, hourUTC: 16)
    static let thursday17 = Self.slot(day: 19, hourUTC: 14)
    static let freeSlots = [Self.thursday17, Self.tuesday19, Self.tuesday18]

    static func lesson(_ slot: Slot = Self.tuesday18, meeting: String = "zoom-1") -> BookedLesson {
        BookedLesson(
            slot: slot,
            joinURL: "https://zoom.us/j/\(slot.epoch)",
            meetingID: meeting,
            calendarEventID: "cal-\(slot.epoch)"
        )
    }
}
