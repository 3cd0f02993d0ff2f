import ArgumentParser
import BotCore
import Curl
import FoundationEssentials
import Glibc
import Messages
import Platform
import Postgres
import Shoro

/// `botctl chat shoro|academy`: talk to a bot as a customer. Each input line is posted as a webhook
/// through nginx; the bot's replies (from the outbox) are printed before the next line is read.
struct Chat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Talk to a bot as a customer (reads lines from stdin).",
        discussion: """
            shoro: each line is a Chat2Desk message; /operator TEXT (sandbox) has an operator answer in the desk, which
            pauses the bot, and /close closes the dialog in the desk, which hands it back. academy: each line is a Telegram message; also
            /press N (press button N of the last inline keyboard), /contact [PHONE] (share your contact),
            /voice FILE (send a voice message; sandbox only).
            """)

    @Argument(help: "Which bot: shoro or academy.") var bot: String
    @Option(help: "Chat2Desk client id / Telegram user id to speak as (default: a new one).") var client: Int64?
    @Option(help: "Seconds to wait for the bot's replies to each line.") var timeout: Double = 15
    @Option(help: "academy: Telegram language_code of the simulated user.") var language = "ru"
    @Option(help: "academy: the phone /contact shares.") var phone = "+79990001122"
    @Option(help: "academy: send this audio file as a voice message before reading stdin.") var voice: String?

    func validate() throws {
        guard self.bot == "shoro" || self.bot == "academy" else { throw ValidationError("the bot must be shoro or academy") }
    }

    func run() throws {
        if self.bot == "academy" {
            return try AcademyChatSimulator(
                userID: self.client, timeout: self.timeout, languageCode: self.language, phone: self.phone, voiceFile: self.voice
            ).run()
        }
        let setup = try ChatLoop.Setup(id: self.client, newIDsFrom: 900_000_000)
        let (config, http, connection, clientID) = (setup.config, setup.http, setup.connection, setup.customer)
        guard let shoro = config.shoro else { throw ValidationError("SHORO_ENABLED is false") }
        var sequence: Int64 = 0
        try ChatLoop(banner: "Chatting with shoro as client \(clientID). Type messages; Ctrl-D to end.").run { line in
            if line.hasPrefix("/operator ") || line == "/close" {
                return try self.simulateDesk(line, clientID: clientID, apiURL: shoro.apiURL, http: http, connection: connection)
            }
            sequence += 1
            let messageID = String(Clock.system.nowMilliseconds * 1000 + sequence % 1000)
            let body = JSONValue.object([
                "hook_type": .string("inbox"), "type": .string("from_client"), "message_id": .string(messageID),
                "client_id": .integer(clientID), "text": .string(line), "transport": .string("whatsapp"),
            ]).serialized
            if let refused = try ChatLoop.post(
                body, to: config.infrastructure.publicBaseURL + "/webhook/chat2desk",
                headers: [("X-Webhook-Secret", shoro.webhookSecret)], http: http)
            {
                return [refused]
            }
            return try self.waitForReplies(messageID: messageID, connection: connection).map { "bot> " + $0 }
                + self.pauseLine(clientID: clientID, connection: connection)
        }
    }

    /// `/operator TEXT` or `/close` through the fake Chat2Desk's scripting endpoints (sandbox only): the fake posts the
    /// `outbox` or `close_dialog` hook to the bot, as the real desk does; prints what the bot made of it.
    private func simulateDesk(
        _ line: String, clientID: Int64, apiURL: String, http: HTTPClient, connection: PostgresConnection
    ) throws -> [String] {
        let closing = line.trimmingSpaces == "/close"
        let body: JSONValue =
            closing
            ? .object(["client_id": .integer(clientID)])
            : .object(["client_id": .integer(clientID), "text": .string(String(line.dropFirst("/operator ".count)))])
        let response = try http.perform(
            HTTPRequest(
                method: "POST", url: apiURL + (closing ? "/_fake/close_dialog" : "/_fake/operator_message"),
                headers: [("Content-Type", "application/json")], body: Array(body.serialized.utf8), totalTimeout: 10))
        guard response.status == 200, let answer = JSONValue.parse(response.text)?.objectValue else {
            return ["(the desk simulation needs the sandbox's fake Chat2Desk: HTTP \(response.status) \(response.text.prefix(200)))"]
        }
        let number: (String) -> String = { key in
            if case .integer(let value)? = answer[key] { return String(value) }
            return answer[key]?.stringValue ?? ""
        }
        let messageID = closing ? "close_dialog:\(clientID):\(number("dialog_id"))" : number("message_id")
        let said = closing ? "desk> (the operator closed the dialog)" : "operator> \(line.dropFirst("/operator ".count))"
        _ = try SettledReplies(source: "chat2desk", channel: "chat2desk", timeout: self.timeout)
            .wait(messageID: messageID, sourceKeyPrefix: "chat2desk:\(messageID):", on: connection)
        return [said] + (try self.pauseLine(clientID: clientID, connection: connection))
    }

    /// A line while the bot is silent for this client.
    private func pauseLine(clientID: Int64, connection: PostgresConnection) throws -> [String] {
        guard let dialog = try ShoroConversation.dialog(clientID: String(clientID), on: connection) else { return [] }
        let now = Date(timeIntervalSince1970: Clock.system.now())
        return dialog.isPaused(at: now) ? ["(\(Conversation.Show.pauseLine(dialog, now: now)))"] : []
    }

    /// Waits until the message was processed and its replies were sent (or gave up), then returns their texts.
    private func waitForReplies(messageID: String, connection: PostgresConnection) throws -> [String] {
        let replies = SettledReplies(source: "chat2desk", channel: "chat2desk", timeout: self.timeout)
        guard let settled = try replies.wait(messageID: messageID, sourceKeyPrefix: "chat2desk:\(messageID):", on: connection) else {
            return [replies.noReply]
        }
        return settled.map { reply in
            let payload = JSONValue.parse(reply.payload)?.objectValue
            let text = payload?["text"]?.stringValue ?? ""
            let note = payload?["type"]?.stringValue == "comment" ? "(internal note to the team) " : ""
            return (reply.status == "sent" ? "" : "(\(reply.status)) ") + note + text
        }
    }
}
