/// A Telegram `reply_markup`; encodes to the Bot API's JSON shape.
public enum ReplyMarkup: Sendable, Hashable, Encodable {
    /// `InlineKeyboardMarkup`: buttons under the message.
    case inline(InlineKeyboard)
    /// A one-time `ReplyKeyboardMarkup` with one `request_contact` button (private chats only).
    case requestContact(buttonText: String)
    /// `ReplyKeyboardRemove`: hides a reply keyboard shown earlier.
    case removeKeyboard

    private enum CodingKeys: String, CodingKey {
        case inlineKeyboard = "inline_keyboard", keyboard, resizeKeyboard = "resize_keyboard"
        case oneTimeKeyboard = "one_time_keyboard", removeKeyboard = "remove_keyboard"
    }

    private struct ContactButton: Encodable {
        let text: String
        let request_contact = true
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .inline(let keyboard):
            try container.encode(keyboard.rows, forKey: .inlineKeyboard)
        case .requestContact(let buttonText):
            try container.encode([[ContactButton(text: buttonText)]], forKey: .keyboard)
            try container.encode(true, forKey: .resizeKeyboard)
            try container.encode(true, forKey: .oneTimeKeyboard)
        case .removeKeyboard:
            try container.encode(true, forKey: .removeKeyboard)
        }
    }

    /// The inline keyboard, if this is one.
    public var inlineKeyboard: InlineKeyboard? {
        if case .inline(let keyboard) = self { keyboard } else { nil }
    }
}

/// Rows of inline buttons.
public struct InlineKeyboard: Sendable, Hashable {
    public let rows: [[InlineButton]]

    public init(rows: [[InlineButton]]) {
        self.rows = rows.filter { !$0.isEmpty }
    }

    /// Every button, row by row.
    public var buttons: [InlineButton] { self.rows.flatMap { $0 } }
}

/// An inline button that sends `callbackData` (1–64 bytes) back to the bot.
public struct InlineButton: Sendable, Hashable, Encodable {
    public let text: String
    public let callbackData: String

    public init(text: String, callback: AcademyCallback) {
        self.text = text
        self.callbackData = callback.data
    }

    private enum CodingKeys: String, CodingKey {
        case text, callbackData = "callback_data"
    }
}

/// A text message to send or to put in place of an earlier one: template key, rendered text, markup.
public struct AcademyMessage: Sendable, Hashable {
    /// Which template produced `text`; for tests, logs and analytics.
    public let key: AcademyTextKey
    public let text: String
    public let markup: ReplyMarkup?

    public init(key: AcademyTextKey, text: String, markup: ReplyMarkup?) {
        self.key = key
        self.text = text
        self.markup = markup
    }
}
