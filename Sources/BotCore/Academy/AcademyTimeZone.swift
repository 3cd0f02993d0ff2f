public import FoundationEssentials

/// The academy's time zone as a function from an instant to its UTC offset.
///
/// `FoundationEssentials` has no time-zone database, so the runtime builds this from Foundation's
/// `TimeZone(identifier:)` (daylight saving included); tests use `.fixed`.
public struct AcademyTimeZone: Sendable {
    private let offset: @Sendable (Date) -> Int

    /// - Parameter secondsFromGMT: the zone's offset east of UTC at a given instant.
    public init(secondsFromGMT: @escaping @Sendable (Date) -> Int) {
        self.offset = secondsFromGMT
    }

    /// A zone without daylight saving, e.g. `.fixed(hours: 3)`.
    public static func fixed(hours: Int) -> AcademyTimeZone {
        AcademyTimeZone { _ in hours * 3600 }
    }

    /// The offset east of UTC at `date`, in seconds.
    public func secondsFromGMT(for date: Date) -> Int { self.offset(date) }

    /// The wall-clock date and time of `date` in this zone.
    public func local(_ date: Date) -> LocalDateTime {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let shifted = date.addingTimeInterval(Double(self.offset(date)))
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: shifted)
        return LocalDateTime(
            year: parts.year ?? 1970,
            month: parts.month ?? 1,
            day: parts.day ?? 1,
            hour: parts.hour ?? 0,
            minute: parts.minute ?? 0,
            // Calendar counts Sunday as 1; we count Monday as 0.
            weekday: ((parts.weekday ?? 2) + 5) % 7
        )
    }
}

/// A wall-clock date and time in the academy's zone.
public struct LocalDateTime: Sendable, Hashable {
    public let year: Int
    public let month: Int
    public let day: Int
    public let hour: Int
    public let minute: Int
    /// 0 = Monday … 6 = Sunday.
    public let weekday: Int

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, weekday: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.weekday = weekday
    }

    /// The local day as `yyyymmdd`, e.g. `20250616`: a date's id in callback data.
    public var dayKey: String {
        String(self.year) + Self.twoDigits(self.month) + Self.twoDigits(self.day)
    }

    /// `16.06`.
    public var dayMonth: String { Self.twoDigits(self.day) + "." + Self.twoDigits(self.month) }

    /// `18:05`.
    public var time: String { Self.twoDigits(self.hour) + ":" + Self.twoDigits(self.minute) }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
}
