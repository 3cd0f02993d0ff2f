/// A template in the academy text catalogs (`resources/texts/academy.<lang>.json`).
public enum AcademyTextKey: String, Sendable, Codable, CaseIterable {
    // Welcome and consent
    case welcome, consentRequest, buttonAccept, buttonDecline, consentDeclined, buttonReconsider
    // Registration
    case askPhone, buttonSharePhone, invalidPhone, contactNotOwn, askEmail, invalidEmail, askName, invalidName
    case registered, alreadyBooked, bookedWithOtherContact
    // Date picker
    case chooseDate, chooseTime, confirmSlot, buttonBack, buttonConfirm, buttonChangeSlot, buttonKeepCurrent
    /// Seven space-separated short weekday names, Monday first.
    case weekdays
    case noSlots, slotsUnavailable, buttonRetry, staleButton, staleSlots, slotJustTaken, pleaseWait, bookingInProgress
    // Booking and the scheduled lesson
    case booked, bookingFailed, scheduledInfo, buttonReschedule, buttonCancelLesson, confirmReschedule
    case confirmCancel, buttonYes, buttonNo, lessonCancelled, buttonBookAgain, lessonAlreadyStarted
    case reminder24h, reminder5h
    /// The last line of `booked`, naming only the reminders that will go out.
    case remindersPromised24hAnd5h, reminderPromised5h
    // AI, voice, errors
    case priceAnswer, injectionAnswer, aiIntro, buttonReturn, aiUnavailable, aiRateLimited
    case useText, voiceTooLong, voiceNotRecognised, somethingWentWrong
    // A request for a person: the acknowledgement (with the manager link) and the words that make one, `|`-separated.
    case humanRequested, humanRequestPhrases
    // The booking's titles: the Zoom meeting the parent joins and the academy's calendar event.
    case meetingTopic, calendarEventSummary

    /// The `{name}` placeholders the template must use, no more and no fewer.
    public var placeholders: Set<String> {
        switch self {
        case .invalidName: ["min", "max"]
        case .registered, .meetingTopic, .calendarEventSummary: ["name"]
        case .alreadyBooked, .booked, .scheduledInfo, .reminder24h: ["date", "time", "link"]
        case .chooseTime: ["date"]
        case .confirmSlot, .confirmReschedule, .confirmCancel: ["date", "time"]
        case .reminder5h: ["time", "link"]
        case .noSlots, .bookingFailed, .bookedWithOtherContact, .lessonAlreadyStarted, .priceAnswer,
            .somethingWentWrong, .aiUnavailable, .humanRequested:
            ["manager"]
        case .voiceTooLong: ["seconds"]
        default: []
        }
    }

    /// Texts shown in `answerCallbackQuery`, which Telegram caps at 200 characters.
    public static let callbackAnswers: [AcademyTextKey] = [.staleButton, .bookingInProgress]
}
