import ArgumentParser
import Platform
import Postgres
import Storage

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
