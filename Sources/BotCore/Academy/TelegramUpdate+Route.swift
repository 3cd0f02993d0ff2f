/// What the runtime does with an update.
public enum TelegramRoute: Sendable, Equatable {
    /// Feed `event` to the user's dialog.
    case dialog(AcademyInbound)
    /// Acknowledge and drop.
    case ignore(TelegramIgnoreReason)
}

/// An update addressed to one user's dialog.
public struct AcademyInbound: Sendable, Equatable {
    public let updateID: Int64
    public let userID: Int64
    public let chatID: Int64
    /// For a new dialog's language; `/start` carries it in its event too.
    public let languageCode: String?
    public let firstName: String?
    public let event: AcademyDialog.Event
}

/// Why an update is not for the dialog.
public enum TelegramIgnoreReason: String, Sendable, Hashable {
    case editedMessage, channelPost, otherKind
    /// Groups and channels: the bot talks to parents in private chats only.
    case notPrivateChat
    /// No sender, or the sender is a bot.
    case noUser
    /// A `message` or `callback_query` that could not be read.
    case malformed
}

extension TelegramUpdate {
    /// Maps the update to a dialog event or to "ignore".
    public var route: TelegramRoute {
        if let query = self.callbackQuery { return Self.route(query, updateID: self.updateID) }
        if let message = self.message { return Self.route(message, updateID: self.updateID) }
        if self.kinds.contains("message") || self.kinds.contains("callback_query") { return .ignore(.malformed) }
        if self.kinds.contains("edited_message") { return .ignore(.editedMessage) }
        if self.kinds.contains("channel_post") || self.kinds.contains("edited_channel_post") {
            return .ignore(.channelPost)
        }
        return .ignore(.otherKind)
    }

    private static func route(_ message: TelegramMessage, updateID: Int64) -> TelegramRoute {
        guard message.chat.type == nil || message.chat.type == "private" else { return .ignore(.notPrivateChat) }
        guard let user = message.from, user.isBot != true else { return .ignore(.noUser) }
        let event: AcademyDialog.Event
        if let text = message.text {
            event = Self.event(text: text, languageCode: user.languageCode)
        } else if let contact = message.contact {
            event = .contact(phoneNumber: contact.phoneNumber, userID: contact.userID)
        } else if let voice = message.voice {
            event = .voice(
                .init(
                    kind: .voice,
                    fileID: voice.fileID,
                    durationSeconds: voice.duration ?? 0,
                    fileSize: voice.fileSize
                )
            )
        } else if let note = message.videoNote {
            event = .voice(
                .init(
                    kind: .videoNote,
                    fileID: note.fileID,
                    durationSeconds: note.duration ?? 0,
                    fileSize: note.fileSize
                )
            )
        } else {
            event = .unsupported
        }
        return .dialog(
            AcademyInbound(
                updateID: updateID,
                userID: user.id,
                chatID: message.chat.id,
                languageCode: user.languageCode,
                firstName: user.firstName,
                event: event
            )
        )
    }

    private static func route(_ query: TelegramCallbackQuery, updateID: Int64) -> TelegramRoute {
        guard query.from.isBot != true else { return .ignore(.noUser) }
        if let type = query.message?.chat.type, type != "private" { return .ignore(.notPrivateChat) }
        // An inaccessible message has date 0: it can't be edited, so the dialog sends anew.
        let messageID = query.message.flatMap { $0.date == 0 ? nil : $0.messageID }
        return .dialog(
            AcademyInbound(
                updateID: updateID,
                userID: query.from.id,
                chatID: query.message?.chat.id ?? query.from.id,
                languageCode: query.from.languageCode,
                firstName: query.from.firstName,
                event: .callback(.init(id: query.id, data: query.data, messageID: messageID))
            )
        )
    }

    /// `/start [payload]`, `/ai [question]` (also `/start@BotName`); anything else is text.
    static func event(text: String, languageCode: String?) -> AcademyDialog.Event {
        let trimmed = text.trimmingWhitespace()
        guard trimmed.hasPrefix("/") else { return .text(text) }
        let head = trimmed.prefix { !$0.isWhitespace }
        let command = head.split(separator: "@", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        let argument = String(trimmed.dropFirst(head.count)).trimmingWhitespace()
        switch command {
        case "/start": return .start(payload: argument.isEmpty ? nil : argument, languageCode: languageCode)
        case "/ai": return .ai(question: argument.isEmpty ? nil : argument)
        default: return .text(text)
        }
    }
}
