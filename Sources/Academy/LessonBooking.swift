public import BotCore
public import Clients
public import FoundationEssentials
public import Logging
public import Platform
import Redis
public import Storage

/// The academy dialog's booking effects on Google Calendar and Zoom; every answer is the dialog event to feed back.
///
/// * `loadSlots` reads the calendar's free/busy for whole local days (reused for `cacheSeconds` from Redis, shared
///   by every process) and cuts the free slots with the `SlotGrid`.
/// * `book` re-reads free/busy for the slot (our own event for this booking does not count), then gets the Zoom
///   meeting (an existing one carrying the booking's marker is adopted, see `ZoomClient`), then inserts the calendar
///   event under the id derived from the booking's idempotency key. Repeating a booking therefore never makes a
///   second meeting or event. If the event cannot be written, the meeting is deleted, so no meeting is left
///   without a calendar record.
/// * `cancel` deletes the meeting and the event; both deletes accept "already gone", so it is safe to repeat.
///
/// Owns no thread-safety: one instance per worker thread (its clients hold curl handles and a Redis connection).
public final class LessonBooking {
    let calendar: CalendarClient
    let zoom: ZoomClient
    public let grid: SlotGrid
    let timeZone: AcademyTimeZone
    let timeZoneIdentifier: String
    /// The catalog the meeting topic and the event summary come from (`meetingTopic`, `calendarEventSummary`).
    let texts: AcademyTexts
    let redis: LazyRedis?
    let cacheSeconds: Int
    let clock: Clock
    let logger: Logger
    /// The Redis hash of cached free/busy answers of this calendar (one field per window).
    public let cacheKey: String
    /// Tells the team about what needs a person (a Zoom meeting left behind); see `Alerts`.
    public var alert: (Alerts.Kind, String) -> Void = { _, _ in }

    /// - Parameters:
    ///   - timeZoneIdentifier: the IANA name of `timeZone`, given to Calendar and Zoom.
    ///   - cacheSeconds: how long a free/busy answer is reused; 0 reads the calendar every time.
    public init(
        calendar: CalendarClient, zoom: ZoomClient, grid: SlotGrid, timeZone: AcademyTimeZone,
        timeZoneIdentifier: String, texts: AcademyTexts,
        redis: LazyRedis?, cacheSeconds: Int, logger: Logger, clock: Clock = .system,
        cacheKeyPrefix: String = "academy:slots:"
    ) {
        self.calendar = calendar
        self.zoom = zoom
        self.grid = grid
        self.timeZone = timeZone
        self.timeZoneIdentifier = timeZoneIdentifier
        self.texts = texts
        self.redis = redis
        self.cacheSeconds = cacheSeconds
        self.clock = clock
        self.logger = logger
        self.cacheKey = cacheKeyPrefix + calendar.calendarID
    }

    /// The timetable of `settings`, offering slots at least `minimumNoticeSeconds` ahead.
    public static func grid(_ settings: BookingSettings, minimumNoticeSeconds: Double) -> SlotGrid {
        SlotGrid(
            openingMinute: settings.openingMinute, closingMinute: settings.closingMinute, weekdays: settings.weekdays,
            lessonMinutes: settings.lessonMinutes, stepMinutes: settings.stepMinutes,
            minimumNoticeSeconds: minimumNoticeSeconds)
    }

    // MARK: Slots

    /// `.slotsLoaded` with the free slots from `start` for `days` days, or `.slotsUnavailable` when the calendar
    /// cannot be read.
    public func loadSlots(from start: Date, days: Int) -> AcademyDialog.Event {
        let window = self.grid.window(from: start, days: days, timeZone: self.timeZone)
        do {
            let busy = try self.busy(in: window)
            return .slotsLoaded(self.grid.freeSlots(from: start, days: days, timeZone: self.timeZone, busy: busy))
        } catch {
            self.logger.error("academy: free/busy unavailable", metadata: ["error": "\(error)"])
            return .slotsUnavailable
        }
    }

    /// The calendar's busy intervals in `window`: from the shared cache while it is fresh, else from Google.
    public func busy(in window: Range<Date>) throws -> [Range<Date>] {
        let field =
            "\(Int64(window.lowerBound.timeIntervalSince1970))-\(Int64(window.upperBound.timeIntervalSince1970))"
        let now = self.clock.now()
        if self.cacheSeconds > 0, let cached = self.readCache(field: field, now: now) { return cached }
        let busy = try self.calendar.freeBusy(
            timeMin: Self.rfc3339(window.lowerBound), timeMax: Self.rfc3339(window.upperBound)
        )
        .map { interval in
            guard let start = Self.date(interval.start), let end = Self.date(interval.end), start <= end else {
                throw GoogleError(code: .invalidResponse, status: 200, message: "freeBusy: unreadable busy interval")
            }
            return start..<end
        }
        if self.cacheSeconds > 0 { self.writeCache(field: field, busy: busy, now: now) }
        return busy
    }

    /// Forgets every cached free/busy answer of the calendar (after a booking or cancellation).
    public func invalidateSlotsCache() {
        guard let redis = self.redis else { return }
        do {
            _ = try redis.with { try $0.command(["DEL", self.cacheKey]) }
        } catch {
            self.logger.warning("academy: slots cache unavailable", metadata: ["error": "\(error)"])
        }
    }

    // Each field holds "<fetched at> <start>-<end>,..." (unix seconds); freshness is checked on read, and the
    // hash's own TTL only collects garbage.
    private func readCache(field: String, now: Double) -> [Range<Date>]? {
        guard let redis = self.redis else { return nil }
        do {
            guard let value = try redis.with({ try $0.command(["HGET", self.cacheKey, field]) }).string else {
                return nil
            }
            let parts = value.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, let fetched = Double(parts[0]), now >= fetched,
                now < fetched + Double(self.cacheSeconds)
            else { return nil }
            var busy: [Range<Date>] = []
            for pair in parts[1].split(separator: ",") {
                let bounds = pair.split(separator: "-")
                guard bounds.count == 2, let start = Double(bounds[0]), let end = Double(bounds[1]), start <= end else {
                    return nil
                }
                busy.append(Date(timeIntervalSince1970: start)..<Date(timeIntervalSince1970: end))
            }
            return busy
        } catch {
            self.logger.warning("academy: slots cache unavailable", metadata: ["error": "\(error)"])
            return nil
        }
    }

    private func writeCache(field: String, busy: [Range<Date>], now: Double) {
        guard let redis = self.redis else { return }
        let intervals = busy.map { "\($0.lowerBound.timeIntervalSince1970)-\($0.upperBound.timeIntervalSince1970)" }
        do {
            _ = try redis.with {
                try $0.pipeline([
                    ["HSET", self.cacheKey, field, "\(now) " + intervals.joined(separator: ",")],
                    ["EXPIRE", self.cacheKey, String(self.cacheSeconds + 60)],
                ])
            }
        } catch {
            self.logger.warning("academy: slots cache unavailable", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Times

    /// `2026-02-01T07:00:00Z`.
    static func rfc3339(_ date: Date) -> String { ZoomClient.utcTime(date) }

    /// RFC 3339 with `Z` or an offset, with or without fractional seconds.
    static func date(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
