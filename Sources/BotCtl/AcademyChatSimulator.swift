import ArgumentParser
import Clients
import Curl
import FoundationEssentials
import Glibc
import Messages
import Platform
import Postgres

/// `botctl chat academy`: talk to the Academy bot as a Telegram user. Each line becomes an Update posted
/// through nginx with the webhook secret; the bot's replies are read from the outbox once the update
/// was handled and printed, inline buttons numbered so `/press N` can press them.
struct AcademyChatSimulator {
    let userID: Int64?
    let timeout: Double
    let languageCode: String
    let phone: String
    let voiceFile: String?

    func run() throws {
        let setup = try ChatLoop.Setup(id: self.userID, newIDsFrom: 700_000_000)
        let (config, http, connection, user) = (setup.config, setup.http, setup.connection, setup.customer)
        guard let academy = config.academy else { throw ValidationError("ACADEMY_ENABLED is false") }
        var session = Session(user: user, languageCode: self.languageCode)
        let loop = ChatLoop(
            banner: "Chatting with the academy bot as Telegram user \(user). /start begins; /press N presses a button;\n"
                + "/contact shares your phone; /voice FILE sends a voice message. Ctrl-D ends.",
            pending: self.voiceFile.map { ["/voice " + $0] } ?? [])
        try loop.run { line in
            guard let update = try session.update(for: line, phone: self.phone, academy: academy, http: http) else { return [] }
            if let refused = try ChatLoop.post(
                update.json, to: config.infrastructure.publicBaseURL + "/webhook/tg",
                headers: [("X-Telegram-Bot-Api-Secret-Token", academy.telegramWebhookSecret)], http: http)
            {
                return [refused]
            }
            let replies = SettledReplies(source: "telegram", channel: "telegram", timeout: self.timeout)
            guard let settled = try replies.wait(messageID: String(update.id), sourceKeyPrefix: "tg:\(update.id):", on: connection)
            else { return [replies.noReply] }
            return settled.compactMap { reply in TelegramOutboxPayload(json: reply.payload).map { session.show(($0, reply.status)) } }
        }
    }

    /// The simulated user: update ids, the last inline keyboard (for /press).
    struct Session {
        let user: Int64
        let languageCode: String
        var nextUpdate = Int64(Clock.system.nowMilliseconds % 1_000_000_000) * 100
        var buttons: [(text: String, data: String)] = []

        init(user: Int64, languageCode: String) {
            self.user = user
            self.languageCode = languageCode
        }

        struct Update {
            let id: Int64
            let json: String
        }

        mutating func update(for line: String, phone: String, academy: AppConfig.Academy, http: HTTPClient) throws -> Update? {
            self.nextUpdate += 1
            let from: JSONValue = .object([
                "id": .integer(self.user), "is_bot": .bool(false), "first_name": .string("Sandbox"),
                "language_code": .string(self.languageCode),
            ])
            let chat: JSONValue = .object(["id": .integer(self.user), "type": .string("private")])
            let date = JSONValue.integer(Int64(Clock.system.now()))
            var message: [String: JSONValue] = [
                "message_id": .integer(self.nextUpdate % 1_000_000), "from": from, "chat": chat, "date": date,
            ]
            if line.hasPrefix("/press") {
                let argument = line.dropFirst(6).trimmingSpaces
                guard let index = Int(argument).map({ $0 - 1 }) ?? self.buttons.firstIndex(where: { $0.text == argument }),
                    self.buttons.indices.contains(index)
                else {
                    print("(no button \(argument); the last keyboard has \(self.buttons.count))")
                    return nil
                }
                let query: JSONValue = .object([
                    "id": .string("sim-\(self.nextUpdate)"), "from": from, "chat_instance": .string("sim"),
                    "data": .string(self.buttons[index].data),
                ])
                return Update(
                    id: self.nextUpdate,
                    json: JSONValue.object(["update_id": .integer(self.nextUpdate), "callback_query": query]).serialized)
            }
            if line.hasPrefix("/contact") {
                let typed = line.dropFirst(8).trimmingSpaces
                message["contact"] = .object([
                    "phone_number": .string(typed.isEmpty ? phone : typed), "first_name": .string("Sandbox"),
                    "user_id": .integer(self.user),
                ])
            } else if line.hasPrefix("/voice ") {
                let path = line.dropFirst(7).trimmingSpaces
                guard let data = FileManager.default.contents(atPath: path) else {
                    print("(cannot read \(path))")
                    return nil
                }
                // The sandbox's fake Telegram takes the file through its control API, as if the user had recorded it.
                let fileID = "sim-voice-\(self.nextUpdate)"
                let upload = try http.perform(
                    HTTPRequest(
                        method: "PUT", url: academy.telegramAPIURL + "/_fake/files/\(fileID)?kind=voice", body: Array(data),
                        totalTimeout: 10))
                guard upload.status == 200 else {
                    print("(voice messages need the sandbox's fake Telegram: upload answered \(upload.status))")
                    return nil
                }
                message["voice"] = .object([
                    "file_id": .string(fileID), "file_unique_id": .string(fileID), "duration": .integer(max(1, Int64(data.count / 4000))),
                    "mime_type": .string("audio/ogg"), "file_size": .integer(Int64(data.count)),
                ])
            } else {
                message["text"] = .string(line)
            }
            return Update(
                id: self.nextUpdate,
                json: JSONValue.object(["update_id": .integer(self.nextUpdate), "message": .object(message)]).serialized)
        }

        /// A reply as a person reads it; inline buttons numbered for /press.
        mutating func show(_ reply: (TelegramOutboxPayload, String)) -> String {
            let (payload, status) = reply
            let note = status == "sent" ? "" : " (\(status))"
            let parameters = JSONValue.parse(payload.parameters)?.objectValue ?? [:]
            switch payload.method {
            case "answerCallbackQuery":
                return parameters["text"]?.stringValue.map { "bot (notice)\(note)> \($0)" } ?? "bot (button acknowledged)\(note)"
            case "sendVideoNote":
                return "bot\(note)> [video note]"
            default:
                var text = "bot\(payload.method == "editMessageText" ? " (edited)" : "")\(note)> " + (parameters["text"]?.stringValue ?? "")
                let markup = parameters["reply_markup"]?.objectValue
                if let rows = markup?["inline_keyboard"]?.arrayValue {
                    self.buttons = rows.compactMap(\.arrayValue).flatMap { $0 }.compactMap { button in
                        guard let object = button.objectValue, let label = object["text"]?.stringValue else { return nil }
                        return (label, object["callback_data"]?.stringValue ?? "")
                    }
                    text += "\n" + self.buttons.enumerated().map { "   [\($0.offset + 1)] \($0.element.text)" }.joined(separator: "\n")
                } else if markup?["keyboard"] != nil {
                    text += "\n   (/contact shares your phone, or type it)"
                }
                return text
            }
        }
    }
}
