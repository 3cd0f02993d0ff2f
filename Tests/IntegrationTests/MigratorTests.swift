import Foundation
import Logging
import Platform
import Postgres
import Storage
import TestSupport
import Testing

@Suite("Migrator on fresh databases", .stack)
struct MigratorTests {
    private static let logger = Logger(label: "it.migrator") { _ in SwiftLogNoOpLogHandler() }

    /// Writes migration files into a new temporary directory.
    private static func directory(_ files: [String: String]) throws -> String {
        let path = try TestStack.temporaryDirectory("migrations")
        for (name, sql) in files { try Self.write(path + "/" + name, sql) }
        return path
    }

    private static func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// `version name checksum` rows of schema_migrations, in version order.
    private static func applied(_ url: String) throws -> [(version: Int, name: String, checksum: String)] {
        try PostgresConnection(conninfo: url).query("SELECT version, name, checksum FROM schema_migrations ORDER BY version").map {
            (try $0.decode("version"), try $0.decode("name"), try $0.decode("checksum"))
        }
    }

    private static func tableExists(_ url: String, _ table: String) throws -> Bool {
        try PostgresConnection(conninfo: url).queryOne("SELECT to_regclass($1) IS NOT NULL AS present", [table]).decode("present")
    }

    /// The SHA-256 of a file by coreutils, independent of the code under test.
    private static func sha256(_ path: String) throws -> String {
        let result = try TestStack.run("/usr/bin/sha256sum", [path], environment: TestStack.childEnvironment())
        return String(result.stdout.prefix(64))
    }

    /// `botctl migrate --dir DIR` against `url`, configured like the stack otherwise.
    private static func botctl(_ directory: String, _ url: String) throws -> ChildProcess {
        try ChildProcess(
            try TestStack.executable("botctl"), ["migrate", "--dir", directory],
            environment: try TestStack.stackChildEnvironment(["DATABASE_URL": url]))
    }

    private static let sample = [
        // Numeric order differs from name order ("10_" sorts before "2_"), and each depends on the previous one.
        "0001_people.sql": "CREATE TABLE people (id integer PRIMARY KEY, name text NOT NULL);\n",
        "2_add_email.sql": "ALTER TABLE people ADD COLUMN email text;\nINSERT INTO people VALUES (1, 'Ann', 'a@example.kg');\n",
        "10_index.sql": "CREATE UNIQUE INDEX people_email ON people (email);\n",
        "README.md": "not a migration",
    ]

    @Test func appliesInOrderOnceAndRecordsChecksums() throws {
        let directory = try Self.directory(Self.sample)
        defer { TestStack.removeDirectory(directory) }
        try TestStack.withFreshDatabase { url in
            let connection = try PostgresConnection(conninfo: url)
            let migrator = Migrator(directory: directory, logger: Self.logger)
            #expect(try migrator.migrations().map(\.version) == [1, 2, 10])
            #expect(try migrator.migrate(connection) == ["0001_people.sql", "2_add_email.sql", "10_index.sql"])
            let rows = try Self.applied(url)
            #expect(rows.map(\.version) == [1, 2, 10])
            #expect(rows.map(\.name) == ["0001_people.sql", "2_add_email.sql", "10_index.sql"])
            for row in rows { #expect(row.checksum == (try Self.sha256(directory + "/" + row.name)), "\(row.name)") }
            #expect(try Self.tableExists(url, "people_email"))
            // A second run applies nothing and changes nothing.
            #expect(try migrator.migrate(connection) == [])
            #expect(try Self.applied(url).map(\.checksum) == rows.map(\.checksum))
            #expect(try connection.queryOne("SELECT count(*) AS n FROM people").decode("n", as: Int.self) == 1)
        }
    }

    @Test func botctlMigratesAndThenReportsUpToDate() throws {
        let directory = try Self.directory(Self.sample)
        defer { TestStack.removeDirectory(directory) }
        try TestStack.withFreshDatabase { url in
            let first = try Self.botctl(directory, url).wait(timeout: 10)
            #expect(first.status == 0, "stderr: \(first.stderr)")
            #expect(first.stdout.contains("applied: 0001_people.sql, 2_add_email.sql, 10_index.sql"), "stdout: \(first.stdout)")
            let second = try Self.botctl(directory, url).wait(timeout: 10)
            #expect(second.status == 0, "stderr: \(second.stderr)")
            #expect(second.stdout.contains("database is up to date"), "stdout: \(second.stdout)")
            #expect(try Self.applied(url).count == 3)
        }
    }

    @Test func twoConcurrentRunsApplyEachFileExactlyOnce() throws {
        // The first migration holds the lock for a while, so the second process really waits on it.
        let directory = try Self.directory([
            "0001_slow.sql": "CREATE TABLE slow (id integer PRIMARY KEY);\nSELECT pg_sleep(0.4);\n",
            "0002_counter.sql": "CREATE TABLE counter (n integer NOT NULL);\nINSERT INTO counter VALUES (1);\n",
            "0003_more.sql": "CREATE TABLE more (id integer);\nUPDATE counter SET n = n + 1;\n",
        ])
        defer { TestStack.removeDirectory(directory) }
        try TestStack.withFreshDatabase { url in
            let one = try Self.botctl(directory, url)
            let two = try Self.botctl(directory, url)
            let results = [try one.wait(timeout: 10), try two.wait(timeout: 10)]
            for result in results { #expect(result.status == 0, "stderr: \(result.stderr)") }
            // Between them, each file was applied by exactly one process.
            let appliedNames = results.flatMap { result -> [String] in
                guard let line = result.stdout.split(separator: "\n").first(where: { $0.hasPrefix("applied: ") }) else { return [] }
                return line.dropFirst("applied: ".count).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
            #expect(appliedNames.sorted() == ["0001_slow.sql", "0002_counter.sql", "0003_more.sql"])
            #expect(try Self.applied(url).map(\.version) == [1, 2, 3])
            let counter = try PostgresConnection(conninfo: url).queryOne("SELECT n, (SELECT count(*) FROM counter) AS rows FROM counter")
            #expect(try counter.decode("n", as: Int.self) == 2)
            #expect(try counter.decode("rows", as: Int.self) == 1)
        }
    }

    @Test func aChangedAppliedFileStopsEverything() throws {
        let directory = try Self.directory(["0001_people.sql": Self.sample["0001_people.sql"]!])
        defer { TestStack.removeDirectory(directory) }
        try TestStack.withFreshDatabase { url in
            let migrator = Migrator(directory: directory, logger: Self.logger)
            try migrator.migrate(PostgresConnection(conninfo: url))
            try Self.write(directory + "/0001_people.sql", "CREATE TABLE people (id bigint PRIMARY KEY);\n")
            try Self.write(directory + "/0002_next.sql", "CREATE TABLE next_one (id integer);\n")
            do {
                try migrator.migrate(PostgresConnection(conninfo: url))
                Issue.record("a changed migration was accepted")
            } catch {
                #expect("\(error)".contains("0001_people.sql"), "error: \(error)")
                #expect("\(error)".contains("changed"))
            }
            let result = try Self.botctl(directory, url).wait(timeout: 10)
            #expect(result.status != 0)
            #expect(result.stderr.contains("0001_people.sql"), "stderr: \(result.stderr)")
            // Nothing after the changed file ran.
            #expect(try Self.applied(url).map(\.version) == [1])
            #expect(try !Self.tableExists(url, "next_one"))
        }
    }

    @Test func aFailingMigrationLeavesNothingOfItself() throws {
        let directory = try Self.directory([
            "0001_ok.sql": "CREATE TABLE ok_table (id integer);\n",
            "0002_broken.sql":
                "CREATE TABLE half_done (id integer);\nINSERT INTO ok_table VALUES (1);\nINSERT INTO no_such_table VALUES (1);\n",
            "0003_later.sql": "CREATE TABLE later (id integer);\n",
        ])
        defer { TestStack.removeDirectory(directory) }
        try TestStack.withFreshDatabase { url in
            let migrator = Migrator(directory: directory, logger: Self.logger)
            let connection = try PostgresConnection(conninfo: url)
            do {
                try migrator.migrate(connection)
                Issue.record("a broken migration was applied")
            } catch {
                #expect((error as? PostgresError)?.sqlState == .undefinedTable, "error: \(String(reflecting: error))")
            }
            #expect(try Self.applied(url).map(\.name) == ["0001_ok.sql"])
            #expect(try !Self.tableExists(url, "half_done"))
            #expect(try !Self.tableExists(url, "later"))
            #expect(try connection.queryOne("SELECT count(*) AS n FROM ok_table").decode("n", as: Int.self) == 0)
            // The advisory lock was released, and a fixed file applies on the next run (same connection).
            try Self.write(directory + "/0002_broken.sql", "CREATE TABLE half_done (id integer);\n")
            #expect(try migrator.migrate(connection) == ["0002_broken.sql", "0003_later.sql"])
            // The botctl binary reports a failing migration with a non-zero exit too.
            try Self.write(directory + "/0004_bad.sql", "SELECT 1/0;\n")
            let result = try Self.botctl(directory, url).wait(timeout: 10)
            #expect(result.status != 0)
            #expect(try Self.applied(url).count == 3)
        }
    }

    @Test func rejectsMissingAppliedFilesAndBadNames() throws {
        let directory = try Self.directory(["0001_a.sql": "CREATE TABLE a (id integer);\n", "0002_b.sql": "CREATE TABLE b (id integer);\n"])
        defer { TestStack.removeDirectory(directory) }
        try TestStack.withFreshDatabase { url in
            let migrator = Migrator(directory: directory, logger: Self.logger)
            try migrator.migrate(PostgresConnection(conninfo: url))
            try FileManager.default.removeItem(atPath: directory + "/0002_b.sql")
            do {
                try migrator.migrate(PostgresConnection(conninfo: url))
                Issue.record("a missing applied migration was accepted")
            } catch {
                #expect("\(error)".contains("0002_b.sql"), "error: \(error)")
            }
        }
        for files in [["notes.sql": "SELECT 1;"], ["1_a.sql": "SELECT 1;", "01_b.sql": "SELECT 2;"], ["0003-dash.sql": "SELECT 1;"]] {
            let bad = try Self.directory(files)
            defer { TestStack.removeDirectory(bad) }
            #expect(throws: (any Error).self, "\(files.keys.sorted())") { try Migrator(directory: bad, logger: Self.logger).migrations() }
        }
        #expect(throws: (any Error).self) { try Migrator(directory: "/nonexistent/migrations", logger: Self.logger).migrations() }
    }

    @Test func theRepositoryMigrationsApplyToAFreshDatabase() throws {
        let directory = try TestStack.root() + "/migrations"
        try TestStack.withFreshDatabase { url in
            let connection = try PostgresConnection(conninfo: url)
            let migrator = Migrator(directory: directory, logger: Self.logger)
            let files = try migrator.migrations()
            #expect(!files.isEmpty)
            #expect(try migrator.migrate(connection) == files.map(\.name))
            for table in ["outbox", "orders", "message_logs", "dialog_outcomes", "shoro_dialogs"] {
                #expect(try Self.tableExists(url, table), "table \(table)")
            }
            #expect(try migrator.migrate(connection) == [])
            #expect(try Self.applied(url).map(\.version) == files.map(\.version))
        }
    }
}
