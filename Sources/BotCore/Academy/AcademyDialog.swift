public import FoundationEssentials

/// The academy bot's scenes (welcome, registration, date picker, scheduled lesson) as a pure function:
/// `handle(state, event, now)` returns the new state and the effects the runtime must perform in order.
///
/// The runtime keeps one `State` per Telegram user, maps each Update to an `Event`
/// (`TelegramUpdate.route`), feeds the results of effects it performed back as events
/// (`.leadLookup`, `.slotsLoaded`, `.booked`, `.transcribed`, …), and never decides anything itself.
public struct AcademyDialog: Sendable {
    public let settings: AcademySettings

    public init(settings: AcademySettings) {
        self.settings = settings
    }

    /// Moves the user's dialog on by one event.
    public func handle(_ state: State, _ event: Event, now: Date) -> (State, [Effect]) {
        var turn = AcademyTurn(state: state, settings: self.settings, now: now)
        let effects = turn.handle(event)
        return (turn.state, effects)
    }

    /// The global "something went wrong — try /start or write to the manager" message for the
    /// runtime's error handler.
    public func errorMessage(language: AcademyLanguage) -> AcademyMessage {
        self.settings.texts.message(.somethingWentWrong, language, ["manager": self.settings.managerLink])
    }

    /// The text of a lesson reminder (the `due-jobs` runtime sends it when the reminder comes due).
    public func reminderMessage(_ reminder: LessonReminder, language: AcademyLanguage) -> AcademyMessage {
        let turn = AcademyTurn(
            state: State(userID: reminder.tgID, chatID: reminder.tgID, languageCode: language.rawValue),
            settings: self.settings, now: reminder.at)
        let values = turn.lessonValues(reminder.lesson)
        switch reminder.kind {
        case .before24h: return self.settings.texts.message(.reminder24h, language, values)
        case .before5h:
            return self.settings.texts.message(.reminder5h, language, ["time": values["time"] ?? "", "link": values["link"] ?? ""])
        }
    }

    /// The "↩ Back" keyboard the AI handler attaches to its answers; pressing it re-shows the current step.
    public func returnKeyboard(language: AcademyLanguage) -> ReplyMarkup {
        AcademyKeyboards(texts: self.settings.texts, language: language).returnToStep
    }
}
