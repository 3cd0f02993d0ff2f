import ArgumentParser
import Operations
import Platform
import Postgres
import Redis

/// `botctl dlq list|show|replay|discard`: dead letters of the inbound queues, the outbox and the delayed jobs,
/// one at a time by id (see `DeadLetterBox`) or all at once.
struct DeadLetters: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq", abstract: "Show, re-queue or discard dead letters.",
        subcommands: [List.self, Show.self, Replay.self, Discard.self])

    /// The connections and the box of this deployment's queues.
    struct Context {
        let box: DeadLetterBox
        let redis: RedisConnection
        let postgres: PostgresConnection

        init() throws {
            let (config, _) = ProcessSetup.load("botctl")
            self.box = DeadLetterBox(queues: OperatedBot.enabled(in: config).map(\.queue))
            self.redis = try RedisConnection(config.infrastructure.redis)
            self.postgres = try PostgresConnection(conninfo: config.infrastructure.databaseURL)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters with their ids and errors.")
        @Flag(help: "One JSON object per line.") var json = false

        func run() throws {
            let context = try Context()
            let letters = try context.box.list(redis: context.redis, postgres: context.postgres)
            for letter in letters {
                if self.json {
                    print(try OperationsFormat.json(letter))
                } else {
                    let subject = letter.conversation.isEmpty ? letter.origin : "\(letter.origin) conversation \(letter.conversation)"
                    print("\(letter.id)  \(subject), \(letter.attempts) attempt(s): \(letter.error)")
                }
            }
            if letters.isEmpty && !self.json { print("no dead letters") }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one dead letter with its payload.")
        @Argument(help: "The dead letter's id (from `dlq list`).") var id: String
        @Flag(help: "One JSON object.") var json = false

        func run() throws {
            let context = try Context()
            guard let letter = try context.box.show(self.id, redis: context.redis, postgres: context.postgres) else {
                throw NotFound(id: self.id)
            }
            if self.json {
                print(try OperationsFormat.json(letter))
                return
            }
            print("id: \(letter.id)\nkind: \(letter.kind.rawValue)\norigin: \(letter.origin)")
            if !letter.conversation.isEmpty { print("conversation: \(letter.conversation)") }
            print("attempts: \(letter.attempts)")
            if let failedAt = letter.failedAt { print("failed at: \(OperationsFormat.instant(failedAt))") }
            print("error: \(letter.error)\npayload: \(letter.payload)")
        }
    }

    /// The options `replay` and `discard` share.
    struct Selection: ParsableArguments {
        @Argument(help: "Dead letter ids (from `dlq list`).") var ids: [String] = []
        @Flag(help: "Report what would happen; change nothing.") var dryRun = false
        @Flag(help: "One JSON object per id.") var json = false

        func report(_ outcomes: [DeadLetterBox.Outcome]) throws {
            for outcome in outcomes {
                print(
                    self.json ? try OperationsFormat.json(outcome) : "\(outcome.id): \(outcome.result.rawValue.replacing("_", with: " "))")
            }
            // Something asked for by id that is not there (a typo, or another operator was faster): exit 1.
            if outcomes.contains(where: { $0.result == .notFound }) && !self.ids.isEmpty { throw ExitCode(1) }
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-queue dead letters: an inbound message goes to the front of its conversation.")
        @OptionGroup var selection: Selection
        @Flag(help: "Every dead letter.") var all = false

        func validate() throws {
            if self.all == !self.selection.ids.isEmpty { throw ValidationError("give dead letter ids or --all (one of them)") }
        }

        func run() throws {
            let context = try Context()
            let now = Clock.system.now()
            let outcomes =
                self.all
                ? try context.box.replayAll(dryRun: self.selection.dryRun, now: now, redis: context.redis, postgres: context.postgres)
                : try context.box.apply(
                    .replay, to: self.selection.ids, dryRun: self.selection.dryRun, now: now, redis: context.redis,
                    postgres: context.postgres)
            if self.all && outcomes.isEmpty && !self.selection.json { print("no dead letters") }
            try self.selection.report(outcomes)
        }
    }

    struct Discard: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drop dead letters for good (outbox rows and jobs stay, marked).")
        @OptionGroup var selection: Selection

        func validate() throws {
            if self.selection.ids.isEmpty { throw ValidationError("give the ids of the dead letters to discard") }
        }

        func run() throws {
            let context = try Context()
            try self.selection.report(
                try context.box.apply(
                    .discard, to: self.selection.ids, dryRun: self.selection.dryRun, now: Clock.system.now(), redis: context.redis,
                    postgres: context.postgres))
        }
    }

    struct NotFound: Error, CustomStringConvertible {
        let id: String
        var description: String { "no dead letter \(self.id) (replayed or discarded already, or never there)" }
    }
}
