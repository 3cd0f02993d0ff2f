/// What an inline button of the academy bot means; `data` is its `callback_data` (at most 64 bytes).
///
/// Date-picker buttons carry the picker's `generation`, which grows every time fresh slots are
/// shown, so a button from an older message is recognised as stale. Lesson buttons carry the
/// lesson's epoch, so a button for a lesson that was since moved or cancelled is stale too.
public enum AcademyCallback: Sendable, Hashable {
    case consentAccept
    case consentDecline
    /// A day, as `yyyymmdd` in the academy's zone.
    case date(generation: Int, day: String)
    case time(generation: Int, epoch: Int64)
    case backToDates(generation: Int)
    case confirm(generation: Int, epoch: Int64)
    /// Leave the booked lesson as it is (offered while rescheduling).
    case keepCurrent
    case retrySlots
    case reschedule(epoch: Int64)
    case rescheduleConfirmed(epoch: Int64)
    case cancelLesson(epoch: Int64)
    case cancelConfirmed(epoch: Int64)
    /// "No" to the reschedule or cancel question.
    case keepLesson(epoch: Int64)
    case bookAgain
    /// "↩ Back" under an AI answer: return to the current step.
    case returnToStep

    /// The button's `callback_data`.
    public var data: String {
        switch self {
        case .consentAccept: "gdpr:y"
        case .consentDecline: "gdpr:n"
        case .date(let generation, let day): "d:\(generation):\(day)"
        case .time(let generation, let epoch): "t:\(generation):\(epoch)"
        case .backToDates(let generation): "bd:\(generation)"
        case .confirm(let generation, let epoch): "c:\(generation):\(epoch)"
        case .keepCurrent: "keep"
        case .retrySlots: "retry"
        case .reschedule(let epoch): "rs:\(epoch)"
        case .rescheduleConfirmed(let epoch): "rsy:\(epoch)"
        case .cancelLesson(let epoch): "cl:\(epoch)"
        case .cancelConfirmed(let epoch): "cly:\(epoch)"
        case .keepLesson(let epoch): "no:\(epoch)"
        case .bookAgain: "book"
        case .returnToStep: "ret"
        }
    }

    /// Parses `callback_data`; nil for anything this bot never sent (or an older format).
    public init?(data: String) {
        let parts = data.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch (parts.first ?? "", parts.count) {
        case ("gdpr", 2) where parts[1] == "y": self = .consentAccept
        case ("gdpr", 2) where parts[1] == "n": self = .consentDecline
        case ("d", 3):
            guard let generation = Self.number(parts[1]), parts[2].count == 8, Self.number(parts[2]) != nil else {
                return nil
            }
            self = .date(generation: Int(generation), day: parts[2])
        case ("t", 3), ("c", 3):
            guard let generation = Self.number(parts[1]), let epoch = Self.number(parts[2]) else { return nil }
            self =
                parts[0] == "t"
                ? .time(generation: Int(generation), epoch: epoch) : .confirm(generation: Int(generation), epoch: epoch)
        case ("bd", 2):
            guard let generation = Self.number(parts[1]) else { return nil }
            self = .backToDates(generation: Int(generation))
        case ("keep", 1): self = .keepCurrent
        case ("retry", 1): self = .retrySlots
        case ("book", 1): self = .bookAgain
        case ("ret", 1): self = .returnToStep
        case ("rs", 2), ("rsy", 2), ("cl", 2), ("cly", 2), ("no", 2):
            guard let epoch = Self.number(parts[1]) else { return nil }
            switch parts[0] {
            case "rs": self = .reschedule(epoch: epoch)
            case "rsy": self = .rescheduleConfirmed(epoch: epoch)
            case "cl": self = .cancelLesson(epoch: epoch)
            case "cly": self = .cancelConfirmed(epoch: epoch)
            default: self = .keepLesson(epoch: epoch)
            }
        default: return nil
        }
    }

    /// Digits only, at most 12 of them (epochs until the year 33658).
    private static func number(_ text: String) -> Int64? {
        guard !text.isEmpty, text.count <= 12, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(text)
    }
}
