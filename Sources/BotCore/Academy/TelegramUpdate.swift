/// The parts of a Telegram `Update` the academy bot reads, decoded defensively: unknown keys are
/// ignored, optional fields are optional, and a malformed `message` or `callback_query` becomes nil
/// (the update is then ignored) instead of failing the whole body.
public struct TelegramUpdate: Sendable, Hashable, Decodable {
    public let updateID: Int64
    public let message: TelegramMessage?
    public let callbackQuery: TelegramCallbackQuery?
    /// The update kinds present, by JSON key (`message`, `edited_message`, `my_chat_member`, …).
    public let kinds: Set<String>

    public init(updateID: Int64, message: TelegramMessage? = nil, callbackQuery: TelegramCallbackQuery? = nil) {
        self.updateID = updateID
        self.message = message
        self.callbackQuery = callbackQuery
        var kinds: Set<String> = []
        if message != nil { kinds.insert("message") }
        if callbackQuery != nil { kinds.insert("callback_query") }
        self.kinds = kinds
    }

    private struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        self.updateID = try container.decode(Int64.self, forKey: AnyKey(stringValue: "update_id"))
        self.message = try? container.decodeIfPresent(TelegramMessage.self, forKey: AnyKey(stringValue: "message"))
        self.callbackQuery = try? container.decodeIfPresent(
            TelegramCallbackQuery.self,
            forKey: AnyKey(stringValue: "callback_query")
        )
        self.kinds = Set(container.allKeys.map(\.stringValue).filter { $0 != "update_id" })
    }
}

/// A Telegram `User`.
public struct TelegramUser: Sendable, Hashable, Decodable {
    public let id: Int64
    public let isBot: Bool?
    public let firstName: String?
    public let languageCode: String?

    public init(id: Int64, isBot: Bool? = false, firstName: String? = nil, languageCode: String? = nil) {
        self.id = id
        self.isBot = isBot
        self.firstName = firstName
        self.languageCode = languageCode
    }

    private enum CodingKeys: String, CodingKey {
        case id, isBot = "is_bot", firstName = "first_name", languageCode = "language_code"
    }
}

/// A Telegram `Chat`.
public struct TelegramChat: Sendable, Hashable, Decodable {
    public let id: Int64
    /// `private`, `group`, `supergroup` or `channel`.
    public let type: String?

    public init(id: Int64, type: String? = "private") {
        self.id = id
        self.type = type
    }
}

/// A Telegram `Message`, limited to what the bot reads.
public struct TelegramMessage: Sendable, Hashable, Decodable {
    public let messageID: Int64
    public let from: TelegramUser?
    public let chat: TelegramChat
    public let text: String?
    public let contact: TelegramContact?
    public let voice: TelegramVoice?
    public let videoNote: TelegramVideoNote?

    public init(
        messageID: Int64,
        from: TelegramUser?,
        chat: TelegramChat,
        text: String? = nil,
        contact: TelegramContact? = nil,
        voice: TelegramVoice? = nil,
        videoNote: TelegramVideoNote? = nil
    ) {
        self.messageID = messageID
        self.from = from
        self.chat = chat
        self.text = text
        self.contact = contact
        self.voice = voice
        self.videoNote = videoNote
    }

    private enum CodingKeys: String, CodingKey {
        case messageID = "message_id", from, chat, text, contact, voice, videoNote = "video_note"
    }
}

/// A shared contact; `userID` is set when it is a Telegram user's own contact.
public struct TelegramContact: Sendable, Hashable, Decodable {
    public let phoneNumber: String
    public let userID: Int64?

    public init(phoneNumber: String, userID: Int64?) {
        self.phoneNumber = phoneNumber
        self.userID = userID
    }

    private enum CodingKeys: String, CodingKey {
        case phoneNumber = "phone_number", userID = "user_id"
    }
}

/// A voice message or a round video message: the file to fetch with `getFile`, its length and size.
public struct TelegramMediaFile: Sendable, Hashable, Decodable {
    public let fileID: String
    public let duration: Int?
    public let fileSize: Int?

    public init(fileID: String, duration: Int?, fileSize: Int?) {
        self.fileID = fileID
        self.duration = duration
        self.fileSize = fileSize
    }

    private enum CodingKeys: String, CodingKey {
        case fileID = "file_id", duration, fileSize = "file_size"
    }
}

/// A voice message.
public typealias TelegramVoice = TelegramMediaFile
/// A round video message (never transcribed).
public typealias TelegramVideoNote = TelegramMediaFile

/// A pressed inline button.
public struct TelegramCallbackQuery: Sendable, Hashable, Decodable {
    public let id: String
    public let from: TelegramUser
    /// The message with the button; nil when it is too old to be accessible (or absent).
    public let message: CallbackMessage?
    public let data: String?

    /// The button's message: only its id and chat are read (an inaccessible message has `date` 0 and no more).
    public struct CallbackMessage: Sendable, Hashable, Decodable {
        public let messageID: Int64
        public let chat: TelegramChat
        public let date: Int64?

        public init(messageID: Int64, chat: TelegramChat, date: Int64? = nil) {
            self.messageID = messageID
            self.chat = chat
            self.date = date
        }

        private enum CodingKeys: String, CodingKey {
            case messageID = "message_id", chat, date
        }
    }

    public init(id: String, from: TelegramUser, message: CallbackMessage?, data: String?) {
        self.id = id
        self.from = from
        self.message = message
        self.data = data
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(String.self, forKey: .id)
        self.from = try container.decode(TelegramUser.self, forKey: .from)
        self.message = try? container.decodeIfPresent(CallbackMessage.self, forKey: .message)
        self.data = try container.decodeIfPresent(String.self, forKey: .data)
    }

    private enum CodingKeys: String, CodingKey { case id, from, message, data }
}
