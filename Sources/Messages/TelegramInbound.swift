/// A Telegram Update as queued: its id, the chat it belongs to, and the raw JSON for the scenes to decode.
public struct TelegramInbound: Codable, Sendable, Equatable {
    public var updateID: Int64
    public var chatID: Int64
    public var update: String
    /// When the webhook was accepted (unix seconds), carried to the replies' outbox rows for the reply-latency
    /// histogram; absent in messages queued before it existed.
    public var receivedAt: Double?

    public init(updateID: Int64, chatID: Int64, update: String) {
        self.updateID = updateID
        self.chatID = chatID
        self.update = update
    }
}
