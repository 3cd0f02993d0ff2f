import CLibPQ
import Glibc

/// A value bound to a `$n` parameter: text, or SQL NULL.
public typealias PostgresBind = String?

/// One connection to PostgreSQL (wraps a libpq `PGconn`).
///
/// libpq: "a PGconn must not be used concurrently by several threads", so this class is not
/// `Sendable`; each worker thread opens its own. Only parameterized statements are offered
/// (`PQexecParams`), so values never become SQL text.
public final class PostgresConnection {
    var raw: OpaquePointer
    private let conninfo: String
    /// Statements prepared on this server session (`PQprepare` once per connection): SQL text → name.
    var preparedNames: [String: String] = [:]
    /// Set when a pipeline's results went out of step with what was sent; only `reset()` clears it.
    var abandoned = false

    /// Connects with a libpq connection string (`host=/abs/socket/dir port=5432 dbname=x user=y`)
    /// or URL (`postgresql://user@host:port/db`).
    public init(conninfo: String, connectTimeoutSeconds: Int = 5) throws(PostgresError) {
        self.conninfo = conninfo
        self.raw = try Self.open(conninfo, connectTimeoutSeconds: connectTimeoutSeconds)
    }

    deinit { PQfinish(self.raw) }

    private static func open(_ conninfo: String, connectTimeoutSeconds: Int) throws(PostgresError) -> OpaquePointer {
        // Both arrays are NULL-terminated, as PQconnectdbParams requires.
        let keys: [String?] = ["dbname", "connect_timeout", "application_name", nil]
        let values: [String?] = [conninfo, String(connectTimeoutSeconds), "chatbots", nil]
        // expand_dbname=1 lets `dbname` carry the whole connection string or URL.
        let connection: OpaquePointer? = Self.withCStrings(keys) { keyPointers in
            Self.withCStrings(values) { valuePointers in
                PQconnectdbParams(keyPointers, valuePointers, 1)
            }
        }
        guard let connection else { throw PostgresError(code: .connectionFailed, message: "out of memory") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError(code: .connectionFailed, message: message)
        }
        clibpq_silence_notices(connection)
        return connection
    }

    /// Whether the connection is usable; after a `connectionLost` error call `reset()`.
    public var isHealthy: Bool { !self.abandoned && PQstatus(self.raw) == CONNECTION_OK }

    /// Re-establishes a broken connection (`PQreset`).
    public func reset() throws(PostgresError) {
        PQreset(self.raw)
        self.preparedNames = [:]  // a new server session has no prepared statements
        self.abandoned = false
        guard PQstatus(self.raw) == CONNECTION_OK else {
            throw PostgresError(code: .connectionFailed, message: String(cString: PQerrorMessage(self.raw)))
        }
        clibpq_silence_notices(self.raw)
    }

    /// Runs one parameterized statement and returns its rows (empty for commands).
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresBind] = []) throws(PostgresError) -> [PostgresRow] {
        let result: OpaquePointer? = Self.withCStrings(parameters) { values in
            PQexecParams(self.raw, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        guard let result else { throw self.connectionError(query: sql) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
            return Self.rows(result)
        default:
            if PQstatus(self.raw) != CONNECTION_OK { throw self.connectionError(query: sql) }
            let sqlState = PQresultErrorField(result, clibpq_diag_sqlstate).map { SQLState(rawValue: String(cString: $0)) }
            throw PostgresError(
                code: .queryFailed, sqlState: sqlState,
                message: String(cString: PQresultErrorMessage(result)), query: sql)
        }
    }

    /// Runs a statement that must return exactly one row.
    public func queryOne(_ sql: String, _ parameters: [PostgresBind] = []) throws(PostgresError) -> PostgresRow {
        let rows = try self.query(sql, parameters)
        guard rows.count == 1 else {
            throw PostgresError(code: .unexpectedResult, message: "expected 1 row, got \(rows.count)", query: sql)
        }
        return rows[0]
    }

    /// Runs `body` inside BEGIN/COMMIT; any error rolls back and is rethrown.
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try self.query("BEGIN")
        do {
            let value = try body(self)
            try self.query("COMMIT")
            return value
        } catch {
            if self.isHealthy { _ = try? self.query("ROLLBACK") }
            throw error
        }
    }

    /// Runs a script of several statements without parameters (migrations only: `PQexec`).
    public func execute(script: String) throws(PostgresError) {
        guard let result = PQexec(self.raw, script) else { throw self.connectionError(query: nil) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return
        default:
            if PQstatus(self.raw) != CONNECTION_OK { throw self.connectionError(query: nil) }
            let sqlState = PQresultErrorField(result, clibpq_diag_sqlstate).map { SQLState(rawValue: String(cString: $0)) }
            throw PostgresError(code: .queryFailed, sqlState: sqlState, message: String(cString: PQresultErrorMessage(result)))
        }
    }

    func connectionError(query: String?) -> PostgresError {
        PostgresError(code: .connectionLost, message: String(cString: PQerrorMessage(self.raw)), query: query)
    }

    static func rows(_ result: OpaquePointer) -> [PostgresRow] {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        guard rowCount > 0 else { return [] }
        var columns: [String: Int] = [:]
        for index in 0..<columnCount {
            columns[String(cString: PQfname(result, Int32(index)))] = index
        }
        var rows: [PostgresRow] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
                }
            }
            rows.append(PostgresRow(columns: columns, values: values))
        }
        return rows
    }

    /// Passes NUL-terminated copies of the strings (nil stays NULL) for the duration of `body`.
    static func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
        defer { copies.forEach { free($0) } }
        return body(copies.map { $0.map { UnsafePointer($0) } })
    }
}
