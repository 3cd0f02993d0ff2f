/// An inbound Chat2Desk message as the queue carries it: decoded defensively at the edge, so the
/// drain never re-parses the platform's payload.
public struct Chat2DeskInbound: Codable, Sendable, Equatable {
    /// Which hook it came from. The client's messages and the desk's events about the same client share the
    /// client's queue, so the bot hears them in the order they happened.
    public enum Kind: String, Codable, Sendable {
        /// `inbox`: the client wrote.
        case client
        /// `outbox` of type `to_client`: the bot's own reply echoed back, or an operator answering the client.
        case outbox
        /// `close_dialog`: an operator closed the client's dialog (hands it back to the bot).
        case closeDialog = "close_dialog"
    }

    public var kind: Kind = .client
    /// `outbox` only: the `external_id` the sender tagged the message with (the bot's are `outbox-<row id>`).
    public var externalID: String?
    public var messageID: String
    public var clientID: String
    public var text: String
    public var transport: String?
    public var channelID: String?
    /// A photo, audio, file or location came with (or instead of) the text.
    public var hasMedia: Bool
    /// When the responder accepted it (seconds since 1970).
    public var receivedAt: Double

    enum CodingKeys: String, CodingKey {
        case messageID = "message_id", clientID = "client_id", text, transport, channelID = "channel_id"
        case hasMedia = "has_media", receivedAt = "received_at", kind, externalID = "external_id"
    }

    public init(
        messageID: String, clientID: String, text: String, transport: String? = nil, channelID: String? = nil,
        hasMedia: Bool = false, receivedAt: Double, kind: Kind = .client, externalID: String? = nil
    ) {
        self.kind = kind
        self.externalID = externalID
        self.messageID = messageID
        self.clientID = clientID
        self.text = text
        self.transport = transport
        self.channelID = channelID
        self.hasMedia = hasMedia
        self.receivedAt = receivedAt
    }
}

extension Chat2DeskInbound {
    /// The queue's JSON for this message, written by hand (the webhook path avoids `JSONEncoder`);
    /// `Codable` reads it back.
    public var queuePayload: String {
        var json = "{\"message_id\":" + JSONText.quote(self.messageID) + ",\"client_id\":" + JSONText.quote(self.clientID)
        json += ",\"text\":" + JSONText.quote(self.text)
        if let transport = self.transport { json += ",\"transport\":" + JSONText.quote(transport) }
        if let channelID = self.channelID { json += ",\"channel_id\":" + JSONText.quote(channelID) }
        json += ",\"has_media\":" + (self.hasMedia ? "true" : "false")
        json += ",\"received_at\":" + (self.receivedAt.isFinite ? "\(self.receivedAt)" : "0")
        if self.kind != .client { json += ",\"kind\":" + JSONText.quote(self.kind.rawValue) }
        if let externalID = self.externalID { json += ",\"external_id\":" + JSONText.quote(externalID) }
        return json + "}"
    }

    /// Reads `queuePayload` (or any JSON of the `Codable` shape) without `JSONDecoder`; nil when it is not one.
    public init?(queuePayload: String) {
        guard case .object(let object)? = JSONValue.parse(queuePayload),
            case .string(let messageID)? = object["message_id"], case .string(let clientID)? = object["client_id"],
            case .string(let text)? = object["text"]
        else { return nil }
        func optionalString(_ key: String) -> String?? {
            switch object[key] {
            case nil, .null?: .some(nil)
            case .string(let value)?: .some(value)
            default: nil
            }
        }
        guard let transport = optionalString("transport"), let channelID = optionalString("channel_id") else { return nil }
        let hasMedia: Bool
        switch object["has_media"] {
        case .bool(let flag)?: hasMedia = flag
        default: return nil
        }
        let receivedAt: Double
        switch object["received_at"] {
        case .number(let value)?: receivedAt = value
        case .integer(let value)?: receivedAt = Double(value)
        default: return nil
        }
        let kind: Kind
        switch object["kind"] {
        case nil, .null?: kind = .client
        case .string(let raw)?:
            guard let known = Kind(rawValue: raw) else { return nil }
            kind = known
        default: return nil
        }
        guard let externalID = optionalString("external_id") else { return nil }
        self.init(
            messageID: messageID, clientID: clientID, text: text, transport: transport, channelID: channelID,
            hasMedia: hasMedia, receivedAt: receivedAt, kind: kind, externalID: externalID)
    }
}
