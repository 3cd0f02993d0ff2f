import BotCore
import Foundation
import Platform
import Storage
import TestSupport
import Testing

@testable import Academy
@testable import Clients

/// `LessonBooking` and `ZoomClient` against real Redis and fake Google Calendar and Zoom (one pair per test).
@Suite("Lesson booking (Calendar + Zoom)", .stack)
struct LessonBookingTests {
    /// The free slots now, for 14 days.
    static func slots(_ booking: LessonBooking, from now: Date = Date()) throws -> [Slot] {
        guard case .slotsLoaded(let slots) = booking.loadSlots(from: now, days: 14) else {
            throw StackError("slots unavailable")
        }
        return slots
    }

    /// A free slot at least two days ahead (far from the notice boundary).
    static func laterSlot(_ booking: LessonBooking) throws -> Slot {
        try #require(try slots(booking).first { $0.start > Date().addingTimeInterval(2 * 86_400) })
    }

    static func booked(_ event: AcademyDialog.Event) throws -> BookedLesson {
        guard case .booked(let lesson) = event else { throw StackError("expected .booked, got \(event)") }
        return lesson
    }

    @Test func freeSlotsExcludeBusyBlocksAndRespectHoursDaysAndNotice() throws {
        let fakes = try BookingFakes()
        let booking = try fakes.booking(cacheSeconds: 0)
        let now = Date()
        let all = try Self.slots(booking, from: now)
        // A busy block 12:30-13:15 on the first working day two days ahead removes its 12:00 and 13:00 lessons.
        let day = try #require(all.first { $0.start > now.addingTimeInterval(2 * 86_400) })
        let local = BookingFakes.moscow.local(day.start)
        let dayStart = day.start.addingTimeInterval(-Double(local.hour * 3600 + local.minute * 60))
        let busy = dayStart.addingTimeInterval(12.5 * 3600)..<dayStart.addingTimeInterval(13.25 * 3600)
        try fakes.setBusy([busy])

        let free = try Self.slots(booking, from: now)
        let times = free.filter { BookingFakes.moscow.local($0.start).dayKey == local.dayKey }
            .map { BookingFakes.moscow.local($0.start).time }
        #expect(times == ["10:00", "11:00", "14:00", "15:00", "16:00", "17:00", "18:00"])
        #expect(free.count == all.count - 2)
        #expect(!free.isEmpty)
        for slot in free {
            let wall = BookingFakes.moscow.local(slot.start)
            #expect(wall.weekday < 5, "weekend slot \(slot)")
            #expect((10...18).contains(wall.hour) && wall.minute == 0, "outside hours \(slot)")
            #expect(slot.durationSeconds == 45 * 60)
            #expect(slot.start >= now.addingTimeInterval(3600), "inside the notice \(slot)")
            #expect(slot.start < now.addingTimeInterval(14 * 86_400))
            #expect(!SlotGrid.overlaps(slot, [busy]))
        }
        // The calendar was asked for whole local days (Moscow midnight to midnight).
        let call = try #require(try fakes.calls(fakes.googleURL, "POST", "^/calendar/v3/freeBusy$").last)
        let body = try #require(call["json"] as? [String: Any])
        let timeMinText = try #require(body["timeMin"] as? String)
        let timeMin = try #require(LessonBooking.date(timeMinText))
        #expect(BookingFakes.moscow.local(timeMin).time == "00:00")
    }

    @Test func anUnreadableCalendarGivesSlotsUnavailable() throws {
        let fakes = try BookingFakes()
        let booking = try fakes.booking(cacheSeconds: 0)
        try fakes.googleFault(#"{"route": "/calendar/v3/freeBusy", "mode": "status", "status": 500, "times": 10}"#)
        #expect(booking.loadSlots(from: Date(), days: 14) == .slotsUnavailable)
    }

    @Test func slotsAreCachedAndABookingClearsTheCache() throws {
        let fakes = try BookingFakes()
        let time = ManualClock()
        let prefix = TestStack.keyPrefix()
        let booking = try fakes.booking(cacheSeconds: 30, clock: time.clock, prefix: prefix)
        let first = try Self.slots(booking)
        #expect(try fakes.freeBusyCalls() == 1)
        // Another process (its own instance, same Redis) within 30 s: no Calendar request.
        let other = try fakes.booking(cacheSeconds: 30, clock: time.clock, prefix: prefix)
        time.advance(29)
        #expect(try Self.slots(other) == first)
        #expect(try Self.slots(booking) == first)
        #expect(try fakes.freeBusyCalls() == 1)
        time.advance(2)
        _ = try Self.slots(booking)
        #expect(try fakes.freeBusyCalls() == 2)

        let slot = try #require(first.first { $0.start > Date().addingTimeInterval(2 * 86_400) })
        _ = try Self.booked(booking.book(.parent(slot)))
        #expect(try fakes.freeBusyCalls() == 3)  // the re-check right before booking is never cached
        let after = try Self.slots(other)
        #expect(try fakes.freeBusyCalls() == 4)
        #expect(!after.contains(slot))
        #expect(after.count == first.count - 1)
    }

    @Test func aSlotTakenAfterItWasShownIsReportedTaken() throws {
        let fakes = try BookingFakes()
        let booking = try fakes.booking()
        let slot = try Self.laterSlot(booking)
        try fakes.setBusy([slot.start.addingTimeInterval(-600)..<slot.start.addingTimeInterval(600)])
        #expect(booking.book(.parent(slot)) == .bookingFailed(.slotTaken))
        #expect(try fakes.meetings().isEmpty)
        #expect(try fakes.events().isEmpty)
    }

    @Test func aBookingCreatesOneMeetingAndOneEventAndRepeatingItChangesNothing() throws {
        let fakes = try BookingFakes()
        let booking = try fakes.booking()
        let slot = try Self.laterSlot(booking)
        let request = AcademyDialog.BookingRequest.parent(slot)
        let lesson = try Self.booked(booking.book(request))
        #expect(lesson.slot == slot)
        #expect(lesson.calendarEventID == CalendarClient.eventID(for: request.idempotencyKey))

        let meetings = try fakes.meetings()
        #expect(meetings.count == 1)
        let meeting = try #require(meetings.first)
        #expect("\(meeting["id"] ?? "")" == lesson.meetingID)
        #expect(meeting["join_url"] as? String == lesson.joinURL)
        #expect(meeting["start_time"] as? String == LessonBooking.rfc3339(slot.start))
        #expect(meeting["duration"] as? Int == 45)
        #expect(meeting["timezone"] as? String == "Europe/Moscow")
        #expect(meeting["type"] as? Int == 2)
        #expect((meeting["agenda"] as? String)?.contains("booking:" + request.idempotencyKey) == true)
        let texts = try AcademySetup.loadTexts(directory: try TestStack.root() + "/resources/texts")
        #expect(meeting["topic"] as? String == texts.render(.meetingTopic, request.language, ["name": request.name]))
        #expect((meeting["topic"] as? String)?.contains(request.name) == true)

        let events = try fakes.events()
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event["id"] as? String == lesson.calendarEventID)
        #expect((event["description"] as? String)?.contains(lesson.joinURL) == true)
        #expect(event["summary"] as? String == texts.render(.calendarEventSummary, request.language, ["name": request.name]))
        #expect((event["start"] as? [String: Any])?["dateTime"] as? String == LessonBooking.rfc3339(slot.start))
        #expect((event["end"] as? [String: Any])?["dateTime"] as? String == LessonBooking.rfc3339(slot.end))

        // The same request again (a redelivered effect): our own event does not make the slot "taken".
        #expect(booking.book(request) == .booked(lesson))
        #expect(try fakes.meetings().count == 1)
        #expect(try fakes.events().count == 1)
        // Someone else asking for that slot now finds it taken.
        #expect(booking.book(.parent(slot)) == .bookingFailed(.slotTaken))
    }

    @Test func zoomServerErrorThenSuccessMakesExactlyOneMeeting() throws {
        let fakes = try BookingFakes()
        let booking = try fakes.booking()
        let slot = try Self.laterSlot(booking)
        try fakes.zoomFault(#"{"route": "/v2/users/me/meetings", "method": "POST", "mode": "status", "status": 500}"#)
        let lesson = try Self.booked(booking.book(.parent(slot)))
        #expect(try fakes.meetings().count == 1)
        #expect(try fakes.calls(fakes.zoomURL, "POST", "^/v2/users/me/meetings$").count == 2)
        // Before retrying the 5xx the client looked for a meeting carrying the booking's marker.
        #expect(try fakes.calls(fakes.zoomURL, "GET", "^/v2/users/me/meetings$").count >= 2)
        #expect(try fakes.liveEvents().count == 1)
        #expect(lesson.joinURL == (try fakes.meetings().first?["join_url"] as? String))
    }

    @Test(arguments: [
        #"{"route": "/v2/users/me/meetings", "method": "POST", "mode": "delay_after_apply", "seconds": 4}"#,
        #"{"route": "/v2/users/me/meetings", "method": "POST", "mode": "drop_after_apply"}"#,
    ])
    func aTimeoutAfterZoomCreatedTheMeetingStillMakesExactlyOne(fault: String) throws {
        let fakes = try BookingFakes()
        let prefix = TestStack.keyPrefix()
        let booking = try fakes.booking(zoom: try fakes.zoom(tokenPrefix: prefix, timeout: 1.5), prefix: prefix)
        let slot = try Self.laterSlot(booking)
        try fakes.zoomFault(fault)
        let lesson = try Self.booked(booking.book(.parent(slot)))
        let meetings = try fakes.meetings()
        #expect(meetings.count == 1)
        #expect(try fakes.calls(fakes.zoomURL, "POST", "^/v2/users/me/meetings$").count == 1)
        #expect("\(meetings.first?["id"] ?? "")" == lesson.meetingID)
        #expect(lesson.joinURL == meetings.first?["join_url"] as? String)
        #expect(try fakes.liveEvents().count == 1)
    }

    @Test func rateLimitedCreateWaitsForRetryAfter() throws {
        let fakes = try BookingFakes()
        let booking = try fakes.booking()
        let slot = try Self.laterSlot(booking)
        try fakes.zoomFault(
            #"{"route": "/v2/users/me/meetings", "method": "POST", "mode": "retry_after", "seconds": 1}"#)
        let started = Date()
        _ = try Self.booked(booking.book(.parent(slot)))
        #expect(Date().timeIntervalSince(started) >= 0.9)
        #expect(try fakes.meetings().count == 1)
    }

    @Test func theDailyLimitFailsTheBookingWithoutRetrying() throws {
        let fakes = try BookingFakes()
        let booking = try fakes.booking()
        let slot = try Self.laterSlot(booking)
        try fakes.zoomFault(#"{"route": "/v2/users/me/meetings", "method": "POST", "mode": "daily_limit", "times": 5}"#)
        #expect(booking.book(.parent(slot)) == .bookingFailed(.unavailable))
        #expect(try fakes.calls(fakes.zoomURL, "POST", "^/v2/users/me/meetings$").count == 1)
        #expect(try fakes.events().isEmpty)
    }

    @Test func aCalendarEventThatCannotBeWrittenLeavesNoMeeting() throws {
        let fakes = try BookingFakes()
        let booking = try fakes.booking()
        let slot = try Self.laterSlot(booking)
        try fakes.googleFault(
            #"{"route": "^/calendar/v3/calendars/[^/]+/events$", "method": "POST", "mode": "forbidden_sa"}"#)
        #expect(booking.book(.parent(slot)) == .bookingFailed(.unavailable))
        let meetings = try fakes.meetings()
        #expect(meetings.count == 1)
        #expect(meetings.first?["deleted"] as? Bool == true)
        #expect(try fakes.liveEvents().isEmpty)
    }

    /// The one case a person must clean up: the event failed and the meeting could not be deleted either. The team is
    /// alerted (AcademySetup points `alert` at `Alerts`, kind `zoom-cleanup`) with the meeting's id.
    @Test func aMeetingThatCannotBeDeletedAfterAFailedBookingAlertsTheTeam() throws {
        let fakes = try BookingFakes()
        let booking = try fakes.booking()
        final class Raised: @unchecked Sendable { var alerts: [(Alerts.Kind, String)] = [] }
        let raised = Raised()
        booking.alert = { raised.alerts.append(($0, $1)) }
        let slot = try Self.laterSlot(booking)
        try fakes.googleFault(
            #"{"route": "^/calendar/v3/calendars/[^/]+/events$", "method": "POST", "mode": "forbidden_sa"}"#)
        try fakes.zoomFault(#"{"route": "^/v2/meetings/[^/]+$", "method": "DELETE", "mode": "status", "status": 500, "times": 20}"#)
        #expect(booking.book(.parent(slot)) == .bookingFailed(.unavailable))
        let meeting = try #require(try fakes.meetings().first)
        #expect(meeting["deleted"] as? Bool != true)
        #expect(raised.alerts.count == 1 && raised.alerts.first?.0 == .zoomCleanup, "\(raised.alerts)")
        #expect(raised.alerts.first?.1.contains("\(meeting["id"] ?? "?")") == true, "\(raised.alerts)")
    }

    @Test func theZoomTokenIsSharedAndRefreshedOnceOn401() throws {
        let fakes = try BookingFakes()
        let prefix = TestStack.keyPrefix()
        let zoom = try fakes.zoom(tokenPrefix: prefix)
        let booking = try fakes.booking(zoom: zoom, prefix: prefix)
        for _ in 0..<3 { #expect(try zoom.findMeeting(marker: "booking:none") == nil) }
        _ = try Self.booked(booking.book(.parent(try Self.laterSlot(booking))))
        #expect(try fakes.zoomTokenCalls() == 1)
        // Another process with the same credentials reads the token from Redis.
        let other = try fakes.zoom(tokenPrefix: prefix)
        #expect(try other.findMeeting(marker: "booking:none") == nil)
        #expect(other.tokenRequests == 0)
        #expect(try fakes.zoomTokenCalls() == 1)

        // Zoom refuses the token (401 code 124): one new token, the call succeeds, and both processes use it.
        try fakes.control(fakes.zoomURL, "POST", "/_fake/tokens/expire", json: "{}")
        #expect(try zoom.findMeeting(marker: "booking:none") == nil)
        #expect(try fakes.zoomTokenCalls() == 2)
        #expect(try other.findMeeting(marker: "booking:none") == nil)
        #expect(try fakes.zoomTokenCalls() == 2)

        // A token refused twice in a row is refreshed only once, then the call fails.
        try fakes.zoomFault(
            #"{"route": "/v2/users/me/meetings", "method": "GET", "mode": "expired_token", "times": 2}"#)
        let before = try fakes.zoomTokenCalls()
        #expect(throws: ZoomError.self) { try zoom.findMeeting(marker: "booking:none") }
        #expect(try fakes.zoomTokenCalls() == before + 1)
    }

    /// The token endpoint failing is retried (a second token is harmless); a Retry-After longer than the policy waits
    /// ends the attempts at once, with the failure.
    @Test func aZoomTokenEndpointThatFailsIsRetried() throws {
        let fakes = try BookingFakes()
        try fakes.zoomFault(#"{"route": "^/oauth/token$", "method": "POST", "mode": "status", "status": 503, "times": 2}"#)
        let zoom = fakes.uncachedZoom()
        #expect(try zoom.findMeeting(marker: "booking:none") == nil)
        #expect(zoom.tokenRequests == 3)

        try fakes.zoomFault(#"{"route": "^/oauth/token$", "method": "POST", "mode": "retry_after", "seconds": 3600, "times": 1}"#)
        let patient = fakes.uncachedZoom()
        let error = #expect(throws: ZoomError.self) { try patient.findMeeting(marker: "booking:none") }
        #expect(error?.code == .unavailable)
        #expect(patient.tokenRequests == 1)
    }

    @Test func wrongZoomCredentialsAreReportedAndNotRetried() throws {
        let fakes = try BookingFakes()
        var settings = fakes.zoomSettings
        settings.clientSecret = "wrong"
        let zoom = fakes.uncachedZoom(settings)
        do {
            _ = try zoom.findMeeting(marker: "x")
            Issue.record("expected a token error")
        } catch let error as ZoomError {
            #expect(error.code == .tokenRejected)
        }
        #expect(zoom.tokenRequests == 1)
    }

    @Test func cancelRemovesTheMeetingAndTheEventAndTwiceIsHarmless() throws {
        let fakes = try BookingFakes()
        let booking = try fakes.booking()
        let slot = try Self.laterSlot(booking)
        let request = AcademyDialog.BookingRequest.parent(slot)
        let lesson = try Self.booked(booking.book(request))
        try booking.cancel(lesson)
        #expect(try fakes.liveMeetings().isEmpty)
        #expect(try fakes.liveEvents().isEmpty)
        try booking.cancel(lesson)
        #expect(try Self.slots(booking).contains(slot))

        // Booking the same slot again restores the cancelled event (Calendar never reuses an id) with a new meeting.
        let again = try Self.booked(booking.book(request))
        #expect(again.calendarEventID == lesson.calendarEventID)
        #expect(again.meetingID != lesson.meetingID)
        #expect(try fakes.liveMeetings().count == 1)
        let events = try fakes.liveEvents()
        #expect(events.count == 1)
        #expect((events.first?["description"] as? String)?.contains(again.joinURL) == true)
        #expect(!(try Self.slots(booking).contains(slot)))
    }
}
