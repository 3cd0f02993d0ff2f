public import ArgumentParser
import FoundationEssentials
import Logging
import Platform
import Postgres

/// `botctl`: the operator's tool.
public struct BotCtl: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "botctl", abstract: "Operate the chatbots service.", version: ChatbotsVersion.current,
        subcommands: [Migrate.self])

    public init() {}
}

/// `botctl migrate`: applies pending migrations.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations in order.")

    @Option(help: "Folder of NNNN_name.sql files.")
    var dir = "migrations"

    func run() throws {
        let (config, logger) = ProcessSetup.load("botctl")
        let connection = try PostgresConnection(conninfo: config.infrastructure.databaseURL)
        let applied = try Migrator(directory: self.dir, logger: logger).migrate(connection)
        print(applied.isEmpty ? "database is up to date" : "applied: \(applied.joined(separator: ", "))")
    }
}
