/// A five-character SQLSTATE code from the server, e.g. `23505` for a unique violation.
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let uniqueViolation = SQLState(rawValue: "23505")
    public static let foreignKeyViolation = SQLState(rawValue: "23503")
    public static let checkViolation = SQLState(rawValue: "23514")
    public static let serializationFailure = SQLState(rawValue: "40001")
    public static let deadlockDetected = SQLState(rawValue: "40P01")
    public static let undefinedTable = SQLState(rawValue: "42P01")
    public static let lockNotAvailable = SQLState(rawValue: "55P03")

    /// The two-character class, e.g. `23` (integrity constraint violation) or `08` (connection exception).
    public var errorClass: String { String(self.rawValue.prefix(2)) }
    public var description: String { self.rawValue }

    /// Matches a whole class: `case SQLState.classConnectionException:` style checks via `~=`.
    public static func ~= (pattern: SQLState, value: SQLState) -> Bool {
        pattern.rawValue.count == 2 ? value.errorClass == pattern.rawValue : pattern == value
    }
}

/// An error from the PostgreSQL wrapper.
///
/// `description` names only the code and SQLSTATE: it is safe to log and never contains SQL text,
/// parameter values or the server's message (which may quote values). `debugDescription` adds the
/// server message and the query text for operators.
public struct PostgresError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
    /// What went wrong, extensible without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case connectionFailed, queryFailed, connectionLost, unexpectedResult, decodingFailed
        }
        fileprivate let base: Base
        /// The server could not be reached or refused the login.
        public static let connectionFailed = Code(base: .connectionFailed)
        /// The server rejected a statement; see `sqlState`.
        public static let queryFailed = Code(base: .queryFailed)
        /// The connection broke; the statement's outcome is unknown.
        public static let connectionLost = Code(base: .connectionLost)
        /// The result had an unexpected shape (e.g. no rows where one was required).
        public static let unexpectedResult = Code(base: .unexpectedResult)
        /// A column could not be converted to the requested Swift type.
        public static let decodingFailed = Code(base: .decodingFailed)
        public var description: String { self.base.rawValue }
    }

    public let code: Code
    public let sqlState: SQLState?
    /// The server's or libpq's message: may contain values, so only in `debugDescription`.
    public let message: String
    /// The statement text, for `debugDescription` only.
    public let query: String?

    public init(code: Code, sqlState: SQLState? = nil, message: String, query: String? = nil) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.query = query
    }

    /// True when the failure is about the server's availability, not the statement: it could not be reached,
    /// the connection broke, or the server answered that it is shutting down, starting up, out of resources, or
    /// that this transaction lost a race (serialization failure, deadlock) — the same work can succeed later.
    public var isTransient: Bool {
        if self.code == .connectionFailed || self.code == .connectionLost { return true }
        guard let sqlState = self.sqlState else { return false }
        switch sqlState {
        case SQLState(rawValue: "08"),  // connection exception
            SQLState(rawValue: "53"),  // insufficient resources (disk full, out of memory, too many connections)
            SQLState(rawValue: "57P01"), SQLState(rawValue: "57P02"), SQLState(rawValue: "57P03"),  // shutdown, crash, starting up
            .serializationFailure, .deadlockDetected, .lockNotAvailable:
            return true
        default:
            return false
        }
    }

    public var description: String {
        if let sqlState = self.sqlState { return "PostgresError(\(self.code), sqlstate \(sqlState))" }
        return "PostgresError(\(self.code))"
    }

    public var debugDescription: String {
        var text = self.description + ": " + self.message
        if let query = self.query { text += " [query: \(query)]" }
        return text
    }
}
