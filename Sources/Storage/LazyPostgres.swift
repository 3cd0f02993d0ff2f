public import Postgres

/// A PostgreSQL connection opened on first use and reset after it breaks.
public final class LazyPostgres {
    public let conninfo: String
    private var connection: PostgresConnection?

    public init(conninfo: String) { self.conninfo = conninfo }

    /// The live connection, connecting (or reconnecting) if needed.
    public func get() throws(PostgresError) -> PostgresConnection {
        if let connection = self.connection {
            if connection.isHealthy { return connection }
            self.connection = nil
        }
        let connection = try PostgresConnection(conninfo: self.conninfo, connectTimeoutSeconds: 2)
        self.connection = connection
        return connection
    }

    /// Runs `body` with the connection; a lost connection is dropped so the next call reconnects.
    public func with<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try self.get()
        do {
            return try body(connection)
        } catch let error as PostgresError where error.code == .connectionLost {
            self.connection = nil
            throw error
        }
    }
}
