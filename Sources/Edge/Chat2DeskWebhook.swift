public import Messages

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
        guard kind == .closeDialog || type == expectedType else {
            return .ignored(reason: "\(hookType) type \(type.isEmpty ? "missing" : type)")
        }
        let client: Lenient? = if case .object(let object)? = payload["client"] { object["id"].flatMap(Lenient.init) } else { nil }
        guard let clientID = lenient("client_id")?.id ?? client?.id else {
            throw Chat2DeskPayloadError(message: "client_id is missing or not numeric")
        }
        if kind == .closeDialog {
            // No message id: the dialog (or the request, or the moment) names the event, for de-duplication.
            let event = lenient("dialog_id")?.id ?? lenient("request_id")?.id ?? lenient("event_time")?.value ?? ""
            return .inbound(
                Chat2DeskInbound(
                    messageID: "close_dialog:\(clientID):\(event)", clientID: clientID, text: "", receivedAt: receivedAt,
                    kind: .closeDialog))
        }
        guard let messageID = lenient("message_id")?.id else {
            throw Chat2DeskPayloadError(message: "message_id is missing or not numeric")
        }
        let attachments: Int? = if case .array(let items)? = payload["attachments"] { items.count } else { nil }
        let hasMedia =
            ["photo", "audio", "pdf", "coordinates", "video"]
            .contains { lenient($0)?.value.map { !$0.isEmpty } ?? false } || (attachments ?? 0) > 0
        return .inbound(
            Chat2DeskInbound(
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
