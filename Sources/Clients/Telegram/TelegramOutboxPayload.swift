public import Messages

/// A Telegram Bot API call kept in the outbox: the method and its JSON parameters.
public struct TelegramOutboxPayload: Sendable, Equatable {
    public var method: String
    public var parameters: [String: JSONValue]

    public init(method: String, parameters: [String: JSONValue]) {
        self.method = method
        self.parameters = parameters
    }

    public var json: String { JSONValue.object(["method": .string(self.method), "params": .object(self.parameters)]).serialized }

    public init?(json: String) {
        guard let object = JSONValue.parse(json)?.objectValue, let method = object["method"]?.stringValue,
              let parameters = object["params"]?.objectValue
        else { return nil }
        self.init(method: method, parameters: parameters)
    }
}
