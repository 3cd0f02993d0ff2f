import ArgumentParser
import Platform

/// `botctl`: the operator's tool.
struct BotCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "botctl", abstract: "Operate the chatbots service.", version: ChatbotsVersion.current,
        subcommands: [
            Migrate.self, Chat.self, Orders.self, Leads.self, Jobs.self, DeadLetters.self, Telegram.self, Prune.self,
            Conversation.self, Status.self, Stats.self, BenchPeerSpec.self,
        ])
}
