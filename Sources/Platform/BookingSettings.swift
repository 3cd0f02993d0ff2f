import Glibc

/// Trial-lesson booking: the Zoom account (Server-to-Server OAuth) and the timetable slots are cut from.
///
/// Read with the Academy bot (`ACADEMY_ENABLED`). Every variable has a default except the three Zoom credentials.
public struct BookingSettings: Sendable {
    /// The Zoom Server-to-Server OAuth app and the user meetings are created for.
    public struct Zoom: Sendable, CustomStringConvertible {
        /// `ZOOM_OAUTH_URL` (default https://zoom.us): `/oauth/token` is appended.
        public var oauthURL: String
        /// `ZOOM_API_URL` (default https://api.zoom.us): `/v2/...` is appended.
        public var apiURL: String
        /// `ZOOM_ACCOUNT_ID`, `ZOOM_CLIENT_ID`, `ZOOM_CLIENT_SECRET`: from the app's page in the Zoom Marketplace.
        public var accountID: String
        public var clientID: String
        /// Never logged.
        public var clientSecret: String
        /// `ZOOM_USER_ID` (default `me`, the app owner): user id or email of the meetings' host.
        public var userID: String

        public init(
            oauthURL: String = "https://zoom.us", apiURL: String = "https://api.zoom.us", accountID: String,
            clientID: String, clientSecret: String, userID: String = "me"
        ) {
            self.oauthURL = oauthURL
            self.apiURL = apiURL
            self.accountID = accountID
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.userID = userID
        }

        public var description: String {
            "Zoom(account: \(self.accountID), client: \(self.clientID), user: \(self.userID))"
        }
    }

    public var zoom: Zoom
    /// `ACADEMY_TIME_ZONE` (IANA, default Europe/Moscow): working hours are wall-clock times there.
    public var timeZoneIdentifier: String
    /// `LESSON_MINUTES` (default 45).
    public var lessonMinutes: Int
    /// `LESSON_HOURS` (default `10:00-19:00`): first start and the time lessons must end by, in minutes after
    /// local midnight (`24:00` allowed as the end).
    public var openingMinute: Int
    public var closingMinute: Int
    /// `LESSON_DAYS` (default `mon-fri`): 0 = Monday … 6 = Sunday; lists and ranges, e.g. `mon,wed,fri-sun`.
    public var weekdays: Set<Int>
    /// `SLOT_STEP_MINUTES` (default 60): minutes between consecutive starts.
    public var stepMinutes: Int
    /// `SLOTS_CACHE_SECONDS` (default 30; 0 = no cache): how long calendar free/busy is reused for the picker.
    public var slotsCacheSeconds: Int
    /// `SLOT_MIN_NOTICE_HOURS` (default 12, 0...168): slots starting sooner are not offered, so a parent who writes
    /// at dawn is not offered a lesson that morning, which neither they nor the reminders could make.
    public var minimumNoticeSeconds: Double

    /// The default of `SLOT_MIN_NOTICE_HOURS`.
    public static let defaultMinimumNoticeHours = 12

    public init(
        zoom: Zoom, timeZoneIdentifier: String = "Europe/Moscow", lessonMinutes: Int = 45, openingMinute: Int = 600,
        closingMinute: Int = 1140, weekdays: Set<Int> = [0, 1, 2, 3, 4], stepMinutes: Int = 60,
        slotsCacheSeconds: Int = 30, minimumNoticeSeconds: Double = Double(defaultMinimumNoticeHours) * 3600
    ) {
        self.zoom = zoom
        self.timeZoneIdentifier = timeZoneIdentifier
        self.lessonMinutes = lessonMinutes
        self.openingMinute = openingMinute
        self.closingMinute = closingMinute
        self.weekdays = weekdays
        self.stepMinutes = stepMinutes
        self.slotsCacheSeconds = slotsCacheSeconds
        self.minimumNoticeSeconds = minimumNoticeSeconds
    }

    /// Reads the booking variables; problems are added to `reader`.
    /// Whether the system's zone database (the one Foundation's `TimeZone` reads) has `identifier`. Checked here
    /// without Foundation, which this module leaves to the cron executables.
    static func isKnownZone(_ identifier: String) -> Bool {
        guard !identifier.isEmpty, !identifier.contains(".."), !identifier.hasPrefix("/"),
            identifier.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/_+-".contains($0)) })
        else { return false }
        let directory = getenv("TZDIR").map { String(cString: $0) } ?? "/usr/share/zoneinfo"
        return access(directory + "/" + identifier, R_OK) == 0
    }

    public static func read(_ reader: inout EnvironmentReader) -> BookingSettings {
        let zoom = Zoom(
            oauthURL: reader.url("ZOOM_OAUTH_URL", default: "https://zoom.us"),
            apiURL: reader.url("ZOOM_API_URL", default: "https://api.zoom.us"),
            accountID: reader.string("ZOOM_ACCOUNT_ID"),
            clientID: reader.string("ZOOM_CLIENT_ID"),
            clientSecret: reader.string("ZOOM_CLIENT_SECRET"),
            userID: reader.string("ZOOM_USER_ID", default: "me"))
        if zoom.userID.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0.isWhitespace }) {
            reader.fail("ZOOM_USER_ID", "must be a Zoom user id, an email or me")
        }
        let zone = reader.string("ACADEMY_TIME_ZONE", default: "Europe/Moscow")
        if !Self.isKnownZone(zone) {
            reader.fail("ACADEMY_TIME_ZONE", "must be an IANA time zone such as Europe/Moscow, got \"\(zone)\"")
        }
        var settings = BookingSettings(
            zoom: zoom, timeZoneIdentifier: zone,
            lessonMinutes: reader.int("LESSON_MINUTES", default: 45, range: 5...480),
            stepMinutes: reader.int("SLOT_STEP_MINUTES", default: 60, range: 5...1440),
            slotsCacheSeconds: reader.int("SLOTS_CACHE_SECONDS", default: 30, range: 0...3600),
            minimumNoticeSeconds: Double(
                reader.int("SLOT_MIN_NOTICE_HOURS", default: Self.defaultMinimumNoticeHours, range: 0...168)) * 3600)
        let hours = reader.string("LESSON_HOURS", default: "10:00-19:00")
        if let (opening, closing) = Self.parseHours(hours) {
            settings.openingMinute = opening
            settings.closingMinute = closing
            if closing - opening < settings.lessonMinutes {
                reader.fail(
                    "LESSON_HOURS", "leave no room for a \(settings.lessonMinutes)-minute lesson (LESSON_MINUTES)")
            }
        } else {
            reader.fail("LESSON_HOURS", "must look like 10:00-19:00 (start before end), got \"\(hours)\"")
        }
        let days = reader.string("LESSON_DAYS", default: "mon-fri")
        if let weekdays = Self.parseDays(days) {
            settings.weekdays = weekdays
        } else {
            reader.fail("LESSON_DAYS", "must list days and ranges such as mon-fri or mon,wed,sat-sun, got \"\(days)\"")
        }
        return settings
    }

    /// `HH:MM-HH:MM` → minutes after midnight; nil unless the start is before the end (`24:00` ends the day).
    public static func parseHours(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
        guard parts.count == 2, let opening = Self.minute(parts[0]), let closing = Self.minute(parts[1]),
            opening < closing, opening < 1440
        else { return nil }
        return (opening, closing)
    }

    private static func minute(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) }), let hour = Int(parts[0]), let minute = Int(parts[1]),
            (0...24).contains(hour), (0...59).contains(minute), hour < 24 || minute == 0
        else { return nil }
        return hour * 60 + minute
    }

    /// Accepted day names: three letters or the full English name.
    static let dayNumbers: [String: Int] = {
        var numbers: [String: Int] = [:]
        for (index, name) in ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"].enumerated() {
            numbers[name] = index
            numbers[String(name.prefix(3))] = index
        }
        return numbers
    }()

    /// `mon-fri`, `mon,wed,fri`, `sat-sun`, `fri-mon` (wraps) → weekdays 0 = Monday … 6 = Sunday; nil when malformed.
    public static func parseDays(_ text: String) -> Set<Int>? {
        var days: Set<Int> = []
        for item in text.lowercased().split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
            let numbers = bounds.compactMap { Self.dayNumbers[$0] }
            guard numbers.count == bounds.count, (1...2).contains(numbers.count) else { return nil }
            var day = numbers[0]
            days.insert(day)
            while day != numbers[numbers.count - 1] {
                day = (day + 1) % 7
                days.insert(day)
            }
        }
        return days.isEmpty ? nil : days
    }
}
