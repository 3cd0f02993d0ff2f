import BotCore
import FoundationEssentials
import Testing

@Suite("Slot grid")
struct SlotGridTests {
    /// Monday 2025-06-16 00:00 at UTC+3.
    static let monday = Date(timeIntervalSince1970: 1_750_021_200)
    static let moscow = AcademyTimeZone.fixed(hours: 3)

    /// A wall time at UTC+3, `day` days after Monday 2025-06-16.
    static func at(_ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
        monday.addingTimeInterval(Double(day * 86_400 + hour * 3600 + minute * 60))
    }

    /// 10:00-19:00, Monday to Friday, 45-minute lessons every hour, one hour's notice.
    static let standard = SlotGrid(
        openingMinute: 600, closingMinute: 1140, weekdays: [0, 1, 2, 3, 4], lessonMinutes: 45, stepMinutes: 60,
        minimumNoticeSeconds: 3600)

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        var grid = SlotGridTests.standard
        let from: Date
        let days: Int
        var busy: [Range<Date>] = []
        /// Expected starts as (day, hour, minute) at UTC+3.
        let starts: [(Int, Int, Int)]
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(name: "a whole working day", from: at(0, 8), days: 1, starts: (10...18).map { (0, $0, 0) }),
        Case(
            name: "minimum notice drops starts within the hour; 24 h later is the end", from: at(0, 10, 30), days: 1,
            starts: (12...18).map { (0, $0, 0) } + [(1, 10, 0)]),
        Case(
            name: "weekend skipped, window end exclusive", from: at(4, 8), days: 3, starts: (10...18).map { (4, $0, 0) }
        ),
        Case(
            name: "a busy block removes every overlapping start", from: at(0, 8), days: 1,
            busy: [at(0, 12, 30)..<at(0, 13, 15)], starts: [10, 11, 14, 15, 16, 17, 18].map { (0, $0, 0) }),
        Case(
            name: "a block that only touches a lesson does not remove it", from: at(0, 8), days: 1,
            busy: [at(0, 11, 45)..<at(0, 12), at(0, 18, 45)..<at(0, 20)], starts: (10...18).map { (0, $0, 0) }),
        Case(
            name: "an all-day block removes the day", from: at(0, 8), days: 1, busy: [at(0, 0)..<at(1, 0)], starts: []),
        Case(
            name: "half-hour steps, the last lesson must end by closing",
            grid: SlotGrid(
                openingMinute: 600, closingMinute: 720, weekdays: [0], lessonMinutes: 45, stepMinutes: 30,
                minimumNoticeSeconds: 0),
            from: at(0, 0), days: 1, starts: [(0, 10, 0), (0, 10, 30), (0, 11, 0)]),
        Case(
            name: "weekend-only academy",
            grid: SlotGrid(
                openingMinute: 600, closingMinute: 660, weekdays: [5, 6], lessonMinutes: 60, stepMinutes: 60,
                minimumNoticeSeconds: 0),
            from: at(0, 0), days: 7, starts: [(5, 10, 0), (6, 10, 0)]),
        Case(name: "no days, no slots", from: at(0, 0), days: 0, starts: []),
        Case(
            name: "a lesson longer than the working day",
            grid: SlotGrid(
                openingMinute: 600, closingMinute: 630, weekdays: [0], lessonMinutes: 45, stepMinutes: 60,
                minimumNoticeSeconds: 0), from: at(0, 0), days: 1, starts: []),
    ]

    @Test(arguments: cases)
    func freeSlots(_ example: Case) {
        let slots = example.grid.freeSlots(
            from: example.from, days: example.days, timeZone: Self.moscow, busy: example.busy)
        #expect(slots.map(\.start) == example.starts.map { Self.at($0.0, $0.1, $0.2) })
        #expect(slots.allSatisfy { $0.durationSeconds == example.grid.lessonMinutes * 60 })
    }

    @Test func allDayBlockLeavesTheNextDay() {
        let slots = Self.standard.freeSlots(
            from: Self.at(0, 8), days: 2, timeZone: Self.moscow, busy: [Self.at(0, 0)..<Self.at(1, 0)])
        #expect(slots.first?.start == Self.at(1, 10))
        #expect(slots.count == 9)
    }

    @Test func slotsAreInOrderAndMatchTheLocalClock() {
        let slots = Self.standard.slots(from: Self.at(0, 0), days: 14, timeZone: Self.moscow)
        #expect(slots == slots.sorted())
        #expect(slots.count == 10 * 9)
        #expect(
            slots.allSatisfy {
                (10...18).contains(Self.moscow.local($0.start).hour) && Self.moscow.local($0.start).weekday < 5
            })
    }

    @Test func windowIsWholeLocalDaysAndStableWithinADay() {
        let morning = Self.standard.window(from: Self.at(0, 10, 30), days: 14, timeZone: Self.moscow)
        let evening = Self.standard.window(from: Self.at(0, 23, 59), days: 14, timeZone: Self.moscow)
        #expect(morning == Self.at(0, 0)..<Self.at(15, 0))
        #expect(evening == morning)
        let slots = Self.standard.slots(from: Self.at(0, 10, 30), days: 14, timeZone: Self.moscow)
        #expect(slots.allSatisfy { morning.contains($0.start) && $0.end <= morning.upperBound })
    }

    // MARK: Daylight saving (a zone at UTC+1 that moves to UTC+2 on 2025-03-30 01:00 UTC, like Central Europe)

    static let springForward = Date(timeIntervalSince1970: 1_743_296_400)
    static let fallBack = Date(timeIntervalSince1970: 1_761_440_400)
    static let europe = AcademyTimeZone { date in
        date >= springForward && date < fallBack ? 7200 : 3600
    }
    static func utc(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    struct DSTCase: Sendable, CustomTestStringConvertible {
        let name: String
        let grid: SlotGrid
        let from: Date
        let starts: [String]
        var testDescription: String { self.name }
    }

    static let night = SlotGrid(
        openingMinute: 60, closingMinute: 300, weekdays: [6], lessonMinutes: 30, stepMinutes: 30,
        minimumNoticeSeconds: 0)
    static let day = SlotGrid(
        openingMinute: 600, closingMinute: 720, weekdays: [5, 6], lessonMinutes: 60, stepMinutes: 60,
        minimumNoticeSeconds: 0)

    static let dstCases: [DSTCase] = [
        DSTCase(
            name: "wall times the clocks skip do not exist", grid: night, from: utc("2025-03-29T23:00:00Z"),
            starts: [
                "2025-03-30T00:00:00Z", "2025-03-30T00:30:00Z", "2025-03-30T01:00:00Z", "2025-03-30T01:30:00Z",
                "2025-03-30T02:00:00Z", "2025-03-30T02:30:00Z",
            ]),
        DSTCase(
            name: "10:00 keeps its wall time across the spring change", grid: day, from: utc("2025-03-28T23:00:00Z"),
            starts: ["2025-03-29T09:00:00Z", "2025-03-29T10:00:00Z", "2025-03-30T08:00:00Z", "2025-03-30T09:00:00Z"]),
        DSTCase(
            name: "10:00 keeps its wall time across the autumn change", grid: day, from: utc("2025-10-24T22:00:00Z"),
            starts: ["2025-10-25T08:00:00Z", "2025-10-25T09:00:00Z", "2025-10-26T09:00:00Z", "2025-10-26T10:00:00Z"]),
        DSTCase(
            name: "a repeated wall time gives one slot",
            grid: SlotGrid(
                openingMinute: 120, closingMinute: 180, weekdays: [6], lessonMinutes: 30, stepMinutes: 30,
                minimumNoticeSeconds: 0), from: utc("2025-10-25T22:00:00Z"),
            starts: ["2025-10-26T01:00:00Z", "2025-10-26T01:30:00Z"]),
    ]

    @Test(arguments: dstCases)
    func daylightSaving(_ example: DSTCase) {
        let slots = example.grid.slots(from: example.from, days: 2, timeZone: Self.europe)
        #expect(slots.map(\.start) == example.starts.map(Self.utc))
    }
}
