public import FoundationEssentials

/// A lesson reminder the runtime schedules as a durable delayed job.
public struct LessonReminder: Sendable, Codable, Hashable {
    /// How long before the lesson the reminder goes out.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case before24h = "remind24h"
        case before5h = "remind5h"

        /// The lead time in seconds.
        public var secondsBefore: Double {
            switch self {
            case .before24h: 24 * 3600
            case .before5h: 5 * 3600
            }
        }
    }

    public let kind: Kind
    public let tgID: Int64
    public let lesson: BookedLesson

    public init(kind: Kind, tgID: Int64, lesson: BookedLesson) {
        self.kind = kind
        self.tgID = tgID
        self.lesson = lesson
    }

    /// The deterministic job id, `remind24h/<tg user>/<lesson epoch>`: scheduling twice is harmless,
    /// and the job can be cancelled by name.
    public var id: String { Self.id(kind: self.kind, tgID: self.tgID, lessonStart: self.lesson.slot) }

    /// When the reminder is due.
    public var at: Date { self.lesson.start.addingTimeInterval(-self.kind.secondsBefore) }

    /// The sentence promising the reminders of `kinds` in the booking confirmation; nil when none will go out.
    ///
    /// The 5 h reminder is due after the 24 h one, so the upcoming ones are both, the 5 h one alone, or none.
    public static func promise(of kinds: [Kind]) -> AcademyTextKey? {
        switch (kinds.contains(.before24h), kinds.contains(.before5h)) {
        case (true, _): .remindersPromised24hAnd5h
        case (false, true): .reminderPromised5h
        case (false, false): nil
        }
    }

    /// The job id for a reminder of `kind` before the lesson in `slot`.
    public static func id(kind: Kind, tgID: Int64, lessonStart slot: Slot) -> String {
        "\(kind.rawValue)/\(tgID)/\(slot.epoch)"
    }
}
