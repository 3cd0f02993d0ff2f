public import FoundationEssentials

/// An inbound Chat2Desk message as the queue carries it: decoded defensively at the edge, so the
/// drain never re-parses the platform's payload.
public struct Chat2DeskInbound: Codable, Sendable, Equatable {
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
        case hasMedia = "has_media", receivedAt = "received_at"
    }

    public init(
        messageID: String, clientID: String, text: String, transport: String? = nil, channelID: String? = nil,
        hasMedia: Bool = false, receivedAt: Double
    ) {
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
    /// Anything else (outbox echoes of our own replies, status hooks, operator messages): acknowledge, never answer.
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
        let payload: RawPayload
        do {
            payload = try JSONDecoder().decode(RawPayload.self, from: Data(body))
        } catch {
            throw Chat2DeskPayloadError(message: "body is not a JSON object of the Chat2Desk webhook shape")
        }
        let hookType = payload.hookType?.value ?? "inbox"
        guard hookType == "inbox" else { return .ignored(reason: "hook_type \(hookType)") }
        let type = payload.type?.value ?? ""
        guard type == "from_client" else { return .ignored(reason: "type \(type.isEmpty ? "missing" : type)") }
        guard let messageID = payload.messageID?.id else { throw Chat2DeskPayloadError(message: "message_id is missing or not numeric") }
        guard let clientID = payload.clientID?.id ?? payload.client?.id?.id else {
            throw Chat2DeskPayloadError(message: "client_id is missing or not numeric")
        }
        let hasMedia = [payload.photo, payload.audio, payload.pdf, payload.coordinates, payload.video]
            .contains { $0?.value.map { !$0.isEmpty } ?? false } || (payload.attachments ?? 0) > 0
        return .inbound(Chat2DeskInbound(
            messageID: messageID, clientID: clientID, text: payload.text?.value ?? "",
            transport: payload.transport?.value, channelID: payload.channelID?.id, hasMedia: hasMedia,
            receivedAt: receivedAt))
    }

    private struct RawPayload: Decodable {
        var hookType: Lenient?
        var messageID: Lenient?
        var type: Lenient?
        var text: Lenient?
        var transport: Lenient?
        var clientID: Lenient?
        var channelID: Lenient?
        var photo: Lenient?
        var audio: Lenient?
        var pdf: Lenient?
        var video: Lenient?
        var coordinates: Lenient?
        var attachments: Int?
        var client: Client?

        struct Client: Decodable { var id: Lenient? }

        enum CodingKeys: String, CodingKey {
            case hookType = "hook_type", messageID = "message_id", type, text, transport, clientID = "client_id"
            case channelID = "channel_id", photo, audio, pdf, video, coordinates, attachments, client
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func lenient(_ key: CodingKeys) -> Lenient? { (try? container.decodeIfPresent(Lenient.self, forKey: key)) ?? nil }
            self.hookType = lenient(.hookType)
            self.messageID = lenient(.messageID)
            self.type = lenient(.type)
            self.text = lenient(.text)
            self.transport = lenient(.transport)
            self.clientID = lenient(.clientID)
            self.channelID = lenient(.channelID)
            self.photo = lenient(.photo)
            self.audio = lenient(.audio)
            self.pdf = lenient(.pdf)
            self.video = lenient(.video)
            self.coordinates = lenient(.coordinates)
            self.attachments = (try? container.decodeIfPresent([Lenient].self, forKey: .attachments))?.count
            self.client = (try? container.decodeIfPresent(Client.self, forKey: .client)) ?? nil
        }
    }

    /// A scalar that may arrive as a string, a number, a bool or null; objects and arrays count as present media.
    private struct Lenient: Decodable {
        let value: String?

        /// A positive integer id from a number or a numeric string.
        var id: String? {
            guard let value, !value.isEmpty, value.allSatisfy(\.isASCII), let number = Int64(value), number > 0 else { return nil }
            return String(number)
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self.value = nil
            } else if let text = try? container.decode(String.self) {
                self.value = text
            } else if let number = try? container.decode(Int64.self) {
                self.value = String(number)
            } else if let number = try? container.decode(Double.self) {
                self.value = number == number.rounded() ? String(Int64(number)) : String(number)
            } else if let flag = try? container.decode(Bool.self) {
                self.value = flag ? "1" : ""
            } else {
                self.value = "object"
            }
        }
    }
}
