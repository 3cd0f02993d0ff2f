public import BotCore
public import Clients
import FoundationEssentials
import Logging
import Messages
import Platform
import Storage

extension LessonBooking {
    /// Why `cancel` could not finish; repeating it later is safe.
    public struct CancelError: Error, CustomStringConvertible, Sendable {
        /// The meeting delete failed (nil when it succeeded), and the calendar delete.
        public let zoom: ZoomError?
        public let calendar: GoogleError?
        public let other: String?
        public var description: String {
            "LessonBooking.CancelError(zoom: \(self.zoom.map(String.init(describing:)) ?? "ok"), "
                + "calendar: \(self.calendar.map(String.init(describing:)) ?? "ok")\(self.other.map { ", \($0)" } ?? ""))"
        }
    }

    /// `.booked` with the meeting and event, `.bookingFailed(.slotTaken)` when someone else holds the slot, or
    /// `.bookingFailed(.unavailable)` when Calendar or Zoom failed (nothing half-made is left behind).
    public func book(_ request: AcademyDialog.BookingRequest) -> AcademyDialog.Event {
        let key = request.idempotencyKey
        let eventID = CalendarClient.eventID(for: key)
        let slot = request.slot
        var metadata: Logger.Metadata = ["booking.key": "\(key)", "calendar.event": "\(eventID)"]
        do {
            if try self.isTaken(slot, exceptEvent: eventID) {
                self.logger.info("academy: the slot was taken before the booking", metadata: metadata)
                return .bookingFailed(.slotTaken)
            }
        } catch {
            metadata["error"] = "\(error)"
            self.logger.error("academy: booking failed: free/busy unavailable", metadata: metadata)
            return .bookingFailed(.unavailable)
        }
        let meeting: ZoomClient.Meeting
        do {
            meeting = try self.zoom.createMeeting(self.newMeeting(request), marker: Self.marker(key), checkFirst: true)
                .meeting
        } catch {
            metadata["error"] = "\(error)"
            if let error = error as? ZoomError, error.ambiguous {
                // A later attempt of this booking adopts the meeting by its marker.
                self.logger.error(
                    "academy: booking failed; a Zoom meeting may exist without a calendar event", metadata: metadata)
            } else {
                self.logger.error("academy: booking failed: Zoom unavailable", metadata: metadata)
            }
            return .bookingFailed(.unavailable)
        }
        metadata["zoom.meeting"] = "\(meeting.id)"
        do {
            try self.writeEvent(id: eventID, self.eventBody(request, meeting: meeting))
        } catch {
            metadata["error"] = "\(error)"
            self.logger.error(
                "academy: booking failed: calendar event not written; deleting the meeting", metadata: metadata)
            self.undoMeeting(meeting, eventID: eventID, eventMayExist: (error as? GoogleError)?.ambiguous ?? true)
            self.invalidateSlotsCache()
            return .bookingFailed(.unavailable)
        }
        self.invalidateSlotsCache()
        self.logger.info("academy: lesson booked", metadata: metadata)
        return .booked(
            BookedLesson(slot: slot, joinURL: meeting.joinURL, meetingID: String(meeting.id), calendarEventID: eventID))
    }

    /// Deletes the lesson's meeting and calendar event (both tried even if one fails) and clears the slots cache.
    /// Already-deleted parts count as deleted, so repeating a cancellation is harmless.
    public func cancel(_ lesson: BookedLesson) throws {
        var zoomError: ZoomError?
        var calendarError: GoogleError?
        var other: String?
        if let id = Int64(lesson.meetingID) {
            do { try self.zoom.deleteMeeting(id: id) } catch let error as ZoomError { zoomError = error } catch {
                other = "\(error)"
            }
        } else {
            other = "meeting id \(lesson.meetingID) is not numeric"
        }
        do {
            try self.calendar.delete(id: lesson.calendarEventID)
        } catch let error as GoogleError { calendarError = error } catch { other = "\(error)" }
        self.invalidateSlotsCache()
        if zoomError != nil || calendarError != nil || other != nil {
            let error = CancelError(zoom: zoomError, calendar: calendarError, other: other)
            self.logger.error(
                "academy: cancellation incomplete",
                metadata: [
                    "error": "\(error)", "zoom.meeting": "\(lesson.meetingID)",
                    "calendar.event": "\(lesson.calendarEventID)",
                ])
            throw error
        }
        self.logger.info(
            "academy: lesson cancelled",
            metadata: [
                "zoom.meeting": "\(lesson.meetingID)", "calendar.event": "\(lesson.calendarEventID)",
            ])
    }

    /// The line in a meeting's agenda that identifies the booking.
    static func marker(_ key: String) -> String { "booking:" + key }

    /// Whether anything but our own event (`eventID`, from an earlier attempt of this booking) is busy in the slot.
    private func isTaken(_ slot: Slot, exceptEvent eventID: String) throws -> Bool {
        let busy = try self.calendar.freeBusy(timeMin: Self.rfc3339(slot.start), timeMax: Self.rfc3339(slot.end)).map {
            interval -> Range<Date> in
            guard let start = Self.date(interval.start), let end = Self.date(interval.end), start <= end else {
                throw GoogleError(code: .invalidResponse, status: 200, message: "freeBusy: unreadable busy interval")
            }
            return start..<end
        }
        guard SlotGrid.overlaps(slot, busy) else { return false }
        guard let own = try self.calendar.event(id: eventID), own.status != "cancelled",
            let start = own.start.flatMap(Self.date), let end = own.end.flatMap(Self.date)
        else { return true }
        return SlotGrid.overlaps(slot, busy.filter { !(start <= $0.lowerBound && $0.upperBound <= end) })
    }

    /// Inserts the event; an event with this id cancelled earlier (a lesson cancelled, then booked again) is
    /// restored with the new details, since Calendar never reuses an id.
    private func writeEvent(id: String, _ body: JSONValue) throws {
        let outcome = try self.calendar.insert(id: id, event: body)
        if case .alreadyExisted(let event) = outcome, event.status == "cancelled" {
            var changes = body.objectValue ?? [:]
            changes["status"] = .string("confirmed")
            _ = try self.calendar.patch(id: id, changes: .object(changes))
        }
    }

    /// Deletes the meeting of a booking whose event could not be written (and the event, if it may exist).
    private func undoMeeting(_ meeting: ZoomClient.Meeting, eventID: String, eventMayExist: Bool) {
        do {
            try self.zoom.deleteMeeting(id: meeting.id)
        } catch {
            self.logger.critical(
                "academy: orphan Zoom meeting: delete it by hand",
                metadata: [
                    "zoom.meeting": "\(meeting.id)", "error": "\(error)",
                ])
            self.alert(
                .zoomCleanup,
                "Zoom meeting \(meeting.id) was created for a booking that failed and could not be deleted: delete it by hand in Zoom.\nError: \(error)"
            )
        }
        guard eventMayExist else { return }
        do {
            try self.calendar.delete(id: eventID)
        } catch {
            self.logger.error(
                "academy: a calendar event may exist without its meeting",
                metadata: [
                    "calendar.event": "\(eventID)", "error": "\(error)",
                ])
        }
    }

    private func newMeeting(_ request: AcademyDialog.BookingRequest) -> ZoomClient.NewMeeting {
        ZoomClient.NewMeeting(
            topic: self.texts.render(.meetingTopic, request.language, ["name": request.name]), start: request.slot.start,
            durationMinutes: max(1, request.slot.durationSeconds / 60), timeZone: self.timeZoneIdentifier)
    }

    private func eventBody(_ request: AcademyDialog.BookingRequest, meeting: ZoomClient.Meeting) -> JSONValue {
        let time = { (date: Date) -> JSONValue in
            .object(["dateTime": .string(Self.rfc3339(date)), "timeZone": .string(self.timeZoneIdentifier)])
        }
        let description = [
            "Parent: \(request.name)", "Phone: \(request.phone)", "Email: \(request.email)",
            "Telegram user: \(request.tgID)", "Language: \(request.language.rawValue)", "Zoom: \(meeting.joinURL)",
            "Zoom meeting: \(meeting.id)", Self.marker(request.idempotencyKey),
        ].joined(separator: "\n")
        return .object([
            "summary": .string(self.texts.render(.calendarEventSummary, request.language, ["name": request.name])),
            "description": .string(description),
            "location": .string(meeting.joinURL), "start": time(request.slot.start), "end": time(request.slot.end),
            "transparency": .string("opaque"),
            "extendedProperties": .object([
                "private": .object([
                    "bookingKey": .string(request.idempotencyKey), "zoomMeetingId": .string(String(meeting.id)),
                    "tgUserId": .string(String(request.tgID)),
                ])
            ]),
        ])
    }
}
