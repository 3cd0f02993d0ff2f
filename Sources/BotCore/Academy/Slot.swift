public import FoundationEssentials

/// A free trial-lesson slot: a start instant and a length; the runtime derives them from Google Calendar.
public struct Slot: Sendable, Codable, Hashable, Comparable {
    public let start: Date
    public let durationSeconds: Int

    public init(start: Date, durationSeconds: Int) {
        self.start = start
        self.durationSeconds = durationSeconds
    }

    /// The end of the lesson.
    public var end: Date { self.start.addingTimeInterval(Double(self.durationSeconds)) }

    /// Whole seconds since 1970: the slot's id in callback data and job ids.
    public var epoch: Int64 { Int64(self.start.timeIntervalSince1970.rounded(.down)) }

    public static func < (lhs: Slot, rhs: Slot) -> Bool {
        (lhs.start, lhs.durationSeconds) < (rhs.start, rhs.durationSeconds)
    }
}
