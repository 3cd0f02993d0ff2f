import FoundationEssentials
public import Logging
public import Postgres

/// Applies `migrations/NNNN_name.sql` files in order, once each, recording a checksum.
///
/// Safe to run twice and from two hosts at once: a session advisory lock serialises runners,
/// each file runs in its own transaction, and a changed applied file stops everything.
public struct Migrator {
    /// One migration file.
    public struct Migration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    /// Why migrating stopped.
    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { self.message }
    }

    // An arbitrary constant: every runner of this project's migrations takes the same lock.
    static let advisoryLockKey = "7262001"

    public let directory: String
    private let logger: Logger

    public init(directory: String, logger: Logger) {
        self.directory = directory
        self.logger = logger
    }

    /// Reads and orders the migration files; rejects malformed names and duplicate versions.
    public func migrations() throws -> [Migration] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: self.directory) else {
            throw Failure(message: "cannot read migrations directory \(self.directory)")
        }
        var result: [Migration] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            let digits = name.prefix { $0.isNumber }
            guard !digits.isEmpty, let version = Int(digits), name.dropFirst(digits.count).hasPrefix("_") else {
                throw Failure(message: "migration file \(name) must be named NNNN_description.sql")
            }
            guard let data = FileManager.default.contents(atPath: self.directory + "/" + name) else {
                throw Failure(message: "cannot read \(name)")
            }
            if result.contains(where: { $0.version == version }) {
                throw Failure(message: "two migration files share version \(version)")
            }
            result.append(Migration(version: version, name: name, sql: String(decoding: data, as: UTF8.self)))
        }
        return result.sorted { $0.version < $1.version }
    }

    /// Applies every pending migration and returns the names applied (empty when up to date).
    @discardableResult
    public func migrate(_ connection: PostgresConnection) throws -> [String] {
        let files = try self.migrations()
        try connection.query("SELECT pg_advisory_lock($1::bigint)", [Self.advisoryLockKey])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1::bigint)", [Self.advisoryLockKey]) }
        try connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        var applied: [Int: (name: String, checksum: String)] = [:]
        for row in try connection.query("SELECT version, name, checksum FROM schema_migrations") {
            applied[try row.decode("version")] = (try row.decode("name"), try row.decode("checksum"))
        }
        for (version, record) in applied where !files.contains(where: { $0.version == version }) {
            throw Failure(message: "applied migration \(record.name) is missing from \(self.directory)")
        }
        var newlyApplied: [String] = []
        for file in files {
            let checksum = try Self.checksum(file.sql, connection)
            if let record = applied[file.version] {
                guard record.checksum == checksum else {
                    throw Failure(message: "migration \(file.name) was changed after it was applied; add a new migration instead")
                }
                continue
            }
            try connection.transaction { connection in
                try connection.execute(script: file.sql)
                try connection.query(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    [String(file.version), file.name, checksum])
            }
            self.logger.info("migration applied", metadata: ["migration.name": "\(file.name)"])
            newlyApplied.append(file.name)
        }
        return newlyApplied
    }

    /// SHA-256 of the file, computed by PostgreSQL (no hand-written hashing here).
    static func checksum(_ sql: String, _ connection: PostgresConnection) throws -> String {
        try connection.queryOne("SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex') AS sum", [sql]).decode("sum")
    }
}
