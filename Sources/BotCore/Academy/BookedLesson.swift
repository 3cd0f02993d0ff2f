public import FoundationEssentials

/// A booked trial lesson as the runtime created it: the Zoom meeting and the calendar event.
public struct BookedLesson: Sendable, Codable, Hashable {
    public let slot: Slot
    /// The Zoom `join_url` sent to the parent.
    public let joinURL: String
    /// The Zoom meeting id, for cancelling the meeting.
    public let meetingID: String
    /// The Google Calendar event id, for freeing the slot.
    public let calendarEventID: String

    public init(slot: Slot, joinURL: String, meetingID: String, calendarEventID: String) {
        self.slot = slot
        self.joinURL = joinURL
        self.meetingID = meetingID
        self.calendarEventID = calendarEventID
    }

    /// The lesson start.
    public var start: Date { self.slot.start }
}
