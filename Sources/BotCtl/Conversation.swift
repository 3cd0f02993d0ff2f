import ArgumentParser
import BotCore
import Foundation
import Platform
import Postgres
import Redis
import Shoro

/// `botctl conversation show|pause|resume|reset BOT ID`: one client's conversation, and taking it from or giving it
/// back to the bot by hand. Shoro only (the Academy bot has no operator desk to hand over to).
struct Conversation: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show or change one client's conversation (shoro).", subcommands: [Show.self, Pause.self, Resume.self, Reset.self])

    /// The `BOT ID` arguments every subcommand takes.
    struct Target: ParsableArguments {
        @Argument(help: "Which bot: shoro.") var bot: String
        @Argument(help: "The Chat2Desk client id.") var id: String

        func validate() throws {
            guard self.bot == "shoro" else { throw ValidationError("conversation tools exist for shoro only (got '\(self.bot)')") }
            guard let number = Int64(self.id), number > 0 else { throw ValidationError("the client id must be a positive number") }
        }

        func connect() throws -> (AppConfig, PostgresConnection) {
            let (config, _) = ProcessSetup.load("botctl")
            return (config, try PostgresConnection(conninfo: config.infrastructure.databaseURL))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "State, pause, the last messages both ways with their delivery status, pending sends, dead letters.")
        @OptionGroup var target: Target
        @Option(help: "How many messages.") var last = 20

        func run() throws {
            let (config, connection) = try self.target.connect()
            let id = self.target.id
            let now = Date(timeIntervalSince1970: Clock.system.now())
            if let dialog = try ShoroConversation.dialog(clientID: id, on: connection) {
                print(
                    "dialog \(dialog.id): state \(dialog.state.rawValue), language \(dialog.language.rawValue), "
                        + "\(dialog.messageCount) message(s)\(dialog.isFinished ? ", finished" : "")")
                print(Self.pauseLine(dialog, now: now))
            } else {
                print("no dialog: the client's next message starts one")
            }
            let history = try ShoroConversation.history(clientID: id, limit: self.last, on: connection)
            print("last \(history.count) message(s):")
            for entry in history {
                print(
                    "  \(entry.at) \(entry.direction.padding(toLength: 12, withPad: " ", startingAt: 0)) \(entry.text.replacingOccurrences(of: "\n", with: " ⏎ ")) [\(entry.detail)]"
                )
            }
            let pending = try ShoroConversation.pendingSends(clientID: id, on: connection)
            print("pending sends: \(pending.count)")
            for row in pending {
                print(
                    "  #\(row["id"] ?? "") \(row["attempts"] ?? "0") attempt(s), next at \(row["next_attempt"] ?? "") UTC: \(row["text"] ?? "") \(row["last_error"].map { $0.isEmpty ? "" : "(\($0))" } ?? "")"
                )
            }
            let letters = try InboundQueue.shoro.deadLetters(on: try RedisConnection(config.infrastructure.redis))
                .filter { $0.conversation == id }
            print("dead letters: \(letters.count)")
            for letter in letters { print("  \(letter.attempts) attempt(s): \(letter.error)") }
        }

        /// "paused (operator_replied) until … UTC" or "the bot is answering".
        static func pauseLine(_ dialog: ShoroDialog, now: Date) -> String {
            guard let pause = dialog.pause, dialog.isPaused(at: now) else { return "the bot is answering (not paused)" }
            return
                "paused (\(pause.reason.rawValue)) since \(utc(pause.since)) until \(utc(pause.until)) UTC, or until the dialog is closed"
        }

        static func utc(_ date: Date) -> String {
            String(
                date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false)).replacingOccurrences(
                    of: "T", with: " "
                ).prefix(19))
        }
    }

    struct Pause: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Silence the bot for this client (a person takes over).")
        @OptionGroup var target: Target
        @Option(help: "Minutes until the bot answers again by itself.") var minutes: Double = 240

        func validate() throws {
            guard self.minutes > 0, self.minutes <= 7 * 1440 else { throw ValidationError("--minutes must be between 0 and 10080") }
        }

        func run() throws {
            let (_, connection) = try self.target.connect()
            try ShoroConversation.pause(clientID: self.target.id, seconds: self.minutes * 60, now: Clock.system.now(), on: connection)
            print("paused the bot for client \(self.target.id) for \(Int(self.minutes)) minute(s)")
        }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Hand the conversation back to the bot (at the step it was in).")
        @OptionGroup var target: Target

        func run() throws {
            let (_, connection) = try self.target.connect()
            let was = try ShoroConversation.resume(clientID: self.target.id, now: Clock.system.now(), on: connection)
            print(was ? "resumed: the bot answers client \(self.target.id) again" : "client \(self.target.id) was not paused")
        }
    }

    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget the dialog: the client's next message starts a new one.")
        @OptionGroup var target: Target

        func run() throws {
            let (_, connection) = try self.target.connect()
            let had = try ShoroConversation.reset(clientID: self.target.id, on: connection)
            print(had ? "reset: client \(self.target.id) starts over with the next message" : "client \(self.target.id) had no dialog")
        }
    }
}
