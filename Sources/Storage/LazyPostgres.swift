public import Logging
public import Platform
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

/// A worker thread's connections to the two engines, each opened on first use (connections are never shared
/// between threads).
public struct Engines {
    public let redis: LazyRedis
    public let postgres: LazyPostgres

    public init(_ infrastructure: AppConfig.Infrastructure) {
        self.redis = LazyRedis(infrastructure.redis)
        self.postgres = LazyPostgres(conninfo: infrastructure.databaseURL)
    }
}

/// What every job's worker thread carries: the configuration, its own connections, the clock and the logger.
public struct WorkerContext {
    public let config: AppConfig
    public let engines: Engines
    public let clock: Clock
    public let logger: Logger

    public init(config: AppConfig, clock: Clock = .system, logger: Logger) {
        self.config = config
        self.engines = Engines(config.infrastructure)
        self.clock = clock
        self.logger = logger
    }
}
