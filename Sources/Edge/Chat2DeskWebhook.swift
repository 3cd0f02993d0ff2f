import FoundationEssentials

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

/// What the webhook body turned out to be.
public enum Chat2DeskWebhookEvent: Sendable, Equatable {
    /// An inbound client message: queue it.
    case inbound(Chat2DeskInbound)
    /// Anything else (internal comments, status hooks, other events): acknowledge, never answer.
    case ignored(reason: String)
}

/// Why a webhook body was rejected.
public struct Chat2DeskPayloadError: Error, Equatable, Sendable {
    public let message: String
}

/// Parses Chat2Desk webhook bodies: ids as numbers or numeric strings, `null` or `""` for missing values,
/// unknown keys ignored.
public enum Chat2DeskWebhookParser {
    public static func parse(_ body: [UInt8], receivedAt: Double) throws(Chat2DeskPayloadError) -> Chat2DeskWebhookEvent {
        // JSONValue's parser instead of JSONDecoder: the webhook path is hot and this is several times cheaper.
        // Untrusted: control characters are dropped and bad text replaced, so every text can be stored and answered.
        guard case .object(let payload)? = JSONValue.parseUntrusted(body)?.value else {
            throw Chat2DeskPayloadError(message: "body is not a JSON object of the Chat2Desk webhook shape")
        }
        func lenient(_ key: String) -> Lenient? { payload[key].flatMap(Lenient.init) }
        let hookType = lenient("hook_type")?.value ?? "inbox"
        let kind: Chat2DeskInbound.Kind
        switch hookType {
        case "inbox": kind = .client
        case "outbox": kind = .outbox
        case "close_dialog": kind = .closeDialog
        default: return .ignored(reason: "hook_type \(hookType)")
        }
        let type = lenient("type")?.value ?? ""
        // Outbox hooks of internal comments, system notes and autoreplies never reach the client as a person's word.
        let expectedType = kind == .client ? "from_client" : "to_client"
        guard kind == .closeDialog || type == expectedType else { return .ignored(reason: "\(hookType) type \(type.isEmpty ? "missing" : type)") }
        let client: Lenient? = if case .object(let object)? = payload["client"] { object["id"].flatMap(Lenient.init) } else { nil }
        guard let clientID = lenient("client_id")?.id ?? client?.id else {
            throw Chat2DeskPayloadError(message: "client_id is missing or not numeric")
        }
        if kind == .closeDialog {
            // No message id: the dialog (or the request, or the moment) names the event, for de-duplication.
            let event = lenient("dialog_id")?.id ?? lenient("request_id")?.id ?? lenient("event_time")?.value ?? ""
            return .inbound(Chat2DeskInbound(
                messageID: "close_dialog:\(clientID):\(event)", clientID: clientID, text: "", receivedAt: receivedAt,
                kind: .closeDialog))
        }
        guard let messageID = lenient("message_id")?.id else { throw Chat2DeskPayloadError(message: "message_id is missing or not numeric") }
        let attachments: Int? = if case .array(let items)? = payload["attachments"] { items.count } else { nil }
        let hasMedia = ["photo", "audio", "pdf", "coordinates", "video"]
            .contains { lenient($0)?.value.map { !$0.isEmpty } ?? false } || (attachments ?? 0) > 0
        return .inbound(Chat2DeskInbound(
            messageID: messageID, clientID: clientID, text: lenient("text")?.value ?? "",
            transport: lenient("transport")?.value, channelID: lenient("channel_id")?.id, hasMedia: hasMedia,
            receivedAt: receivedAt, kind: kind, externalID: kind == .outbox ? lenient("external_id")?.value : nil))
    }

    /// A scalar that may arrive as a string, a number, a bool or null; objects and arrays count as present media.
    private struct Lenient {
        let value: String?

        /// A positive integer id from a number or a numeric string.
        var id: String? {
            guard let value, !value.isEmpty, value.allSatisfy(\.isASCII), let number = Int64(value), number > 0 else { return nil }
            return String(number)
        }

        init(_ json: JSONValue) {
            switch json {
            case .null: self.value = nil
            case .string(let text): self.value = text
            case .integer(let number): self.value = String(number)
            case .number(let number):
                self.value = number == number.rounded() && abs(number) < 9.2e18 ? String(Int64(number)) : String(number)
            case .bool(let flag): self.value = flag ? "1" : ""
            case .array, .object: self.value = "object"
            }
        }
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
        case .string(let raw)?: guard let known = Kind(rawValue: raw) else { return nil }; kind = known
        default: return nil
        }
        guard let externalID = optionalString("external_id") else { return nil }
        self.init(
            messageID: messageID, clientID: clientID, text: text, transport: transport, channelID: channelID,
            hasMedia: hasMedia, receivedAt: receivedAt, kind: kind, externalID: externalID)
    }
}
