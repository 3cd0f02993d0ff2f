public import Messages

/// A Telegram Bot API call kept in the outbox: the method and its parameters (a JSON object, as text).
public struct TelegramOutboxPayload: Sendable, Equatable {
    public var method: String
    public var parameters: String

    /// A call with these parameters (an `Encodable` request value).
    public init(method: String, parameters: some Encodable) {
        self.method = method
        self.parameters = JSONText.encode(parameters)
    }

    /// A call with a few parameters written as a literal.
    public init(method: String, parameters: [String: JSONValue]) {
        self.init(method: method, parameters: JSONValue.object(parameters))
    }

    /// The outbox row's JSON: `{"method": …, "params": {…}}`.
    public var json: String { "{\"method\":" + JSONText.quote(self.method) + ",\"params\":" + self.parameters + "}" }

    /// Reads an outbox row; nil when it is not one.
    public init?(json: String) {
        guard let object = JSONValue.parse(json)?.objectValue, let method = object["method"]?.stringValue,
            let parameters = object["params"], parameters.objectValue != nil
        else { return nil }
        self.method = method
        self.parameters = parameters.serialized
    }
}

/// `sendMessage` / `editMessageText` parameters.
public struct TelegramMessageParameters<Markup: Encodable & Sendable>: Encodable, Sendable {
    public var chatID: Int64
    public var text: String
    public var replyMarkup: Markup?
    /// For `editMessageText`: the message to replace.
    public var messageID: Int64?

    public init(chatID: Int64, text: String, replyMarkup: Markup?, messageID: Int64? = nil) {
        self.chatID = chatID
        self.text = text
        self.replyMarkup = replyMarkup
        self.messageID = messageID
    }

    enum CodingKeys: String, CodingKey {
        case chatID = "chat_id", text, replyMarkup = "reply_markup", messageID = "message_id"
    }
}
