public import FoundationEssentials

/// The trial-lesson timetable: which lesson starts exist on which days, and which of them are free.
///
/// Starts are wall-clock times in the academy's zone (`openingMinute`, then every `stepMinutes`, as long as the
/// lesson ends by `closingMinute`) on the working `weekdays`. Each wall time becomes an instant through the zone's
/// offset function, so daylight-saving days come out right; a wall time the clocks skip does not exist and is left
/// out. A slot is free when it overlaps no busy interval (touching ends do not overlap).
public struct SlotGrid: Sendable, Hashable {
    /// First lesson start, minutes after local midnight (10:00 → 600).
    public var openingMinute: Int
    /// Lessons end by this many minutes after local midnight (19:00 → 1140; at most 1440).
    public var closingMinute: Int
    /// Working days, 0 = Monday … 6 = Sunday (as `LocalDateTime.weekday`).
    public var weekdays: Set<Int>
    public var lessonMinutes: Int
    /// Minutes between consecutive starts.
    public var stepMinutes: Int
    /// Slots starting sooner than this after `from` are not offered.
    public var minimumNoticeSeconds: Double

    public init(
        openingMinute: Int, closingMinute: Int, weekdays: Set<Int>, lessonMinutes: Int, stepMinutes: Int,
        minimumNoticeSeconds: Double
    ) {
        self.openingMinute = openingMinute
        self.closingMinute = closingMinute
        self.weekdays = weekdays
        self.lessonMinutes = lessonMinutes
        self.stepMinutes = stepMinutes
        self.minimumNoticeSeconds = minimumNoticeSeconds
    }

    /// The period that must be read from the calendar for `freeSlots(from:days:…)`: from local midnight of the
    /// day of `from` to local midnight after the day `days` × 24 h later. It changes once a day, so it is a stable
    /// cache key for the busy intervals.
    public func window(from start: Date, days: Int, timeZone: AcademyTimeZone) -> Range<Date> {
        let first = Self.dayNumber(of: start, in: timeZone)
        let last = Self.dayNumber(of: start.addingTimeInterval(Double(max(days, 0)) * 86_400), in: timeZone)
        let lower = Self.instant(day: first, minute: 0, in: timeZone) ?? start
        let upper = Self.instant(day: last + 1, minute: 0, in: timeZone) ?? lower.addingTimeInterval(86_400)
        return lower..<max(lower, upper)
    }

    /// Every lesson start on the grid from `from` + notice to `from` + `days` × 24 h (exclusive), in order.
    public func slots(from start: Date, days: Int, timeZone: AcademyTimeZone) -> [Slot] {
        guard days > 0, self.lessonMinutes > 0, self.stepMinutes > 0 else { return [] }
        let earliest = start.addingTimeInterval(self.minimumNoticeSeconds)
        let latest = start.addingTimeInterval(Double(days) * 86_400)
        let first = Self.dayNumber(of: start, in: timeZone)
        let last = Self.dayNumber(of: latest, in: timeZone)
        var slots: [Slot] = []
        for day in first...max(first, last) where self.weekdays.contains(Self.weekday(ofDay: day)) {
            var minute = self.openingMinute
            while minute + self.lessonMinutes <= min(self.closingMinute, 1440) {
                if let instant = Self.instant(day: day, minute: minute, in: timeZone), instant >= earliest,
                    instant < latest
                {
                    slots.append(Slot(start: instant, durationSeconds: self.lessonMinutes * 60))
                }
                minute += self.stepMinutes
            }
        }
        return slots
    }

    /// The grid's slots (see `slots(from:days:timeZone:)`) that overlap none of `busy`.
    public func freeSlots(from start: Date, days: Int, timeZone: AcademyTimeZone, busy: [Range<Date>]) -> [Slot] {
        self.slots(from: start, days: days, timeZone: timeZone).filter { !Self.overlaps($0, busy) }
    }

    /// Whether `slot` overlaps any of `busy` (intervals that only touch it do not).
    public static func overlaps(_ slot: Slot, _ busy: [Range<Date>]) -> Bool {
        busy.contains { $0.lowerBound < slot.end && slot.start < $0.upperBound }
    }

    // MARK: Civil days

    /// Days since 1970-01-01 of the local date of `date`.
    static func dayNumber(of date: Date, in zone: AcademyTimeZone) -> Int {
        let local = date.timeIntervalSince1970 + Double(zone.secondsFromGMT(for: date))
        return Int((local / 86_400).rounded(.down))
    }

    /// 0 = Monday … 6 = Sunday; day 0 (1970-01-01) was a Thursday.
    static func weekday(ofDay day: Int) -> Int { ((day % 7) + 7 + 3) % 7 }

    /// The instant showing wall time `minute` on local day `day`; nil when the clocks skip that time.
    static func instant(day: Int, minute: Int, in zone: AcademyTimeZone) -> Date? {
        let wall = Double(day) * 86_400 + Double(minute) * 60
        // Two rounds find the offset in force at the instant itself (the first guess uses the offset at `wall`
        // read as UTC, which differs from it near a transition).
        let guess = wall - Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: wall)))
        let instant = wall - Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: guess)))
        let shown = instant + Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: instant)))
        return shown == wall ? Date(timeIntervalSince1970: instant) : nil
    }
}
