public import Redis

/// A Redis connection opened on first use and re-opened after a failure, so a process starts
/// (and can answer 503) while Redis is down.
public final class LazyRedis {
    public let configuration: RedisConfiguration
    private var connection: RedisConnection?

    public init(_ configuration: RedisConfiguration) { self.configuration = configuration }

    /// The live connection, connecting if needed.
    public func get() throws(RedisError) -> RedisConnection {
        if let connection = self.connection, connection.isConnected { return connection }
        let connection = try RedisConnection(self.configuration)
        self.connection = connection
        return connection
    }

    /// Drops the connection; the next `get()` reconnects.
    public func reset() { self.connection = nil }

    /// Runs `body` with the connection; on a connection error the connection is dropped for the next call.
    public func with<T>(_ body: (RedisConnection) throws -> T) throws -> T {
        let connection = try self.get()
        do {
            return try body(connection)
        } catch let error as RedisError where error.isConnectionError {
            self.connection = nil
            throw error
        }
    }

    /// Like `with`, but a connection that turns out to be dead (Redis restarted while it sat idle) is
    /// replaced and `body` runs once more on a fresh one. Only for idempotent work, such as an enqueue
    /// guarded by its de-duplication key: the first attempt may have been applied before the connection broke.
    public func withReconnect<T>(_ body: (RedisConnection) throws -> T) throws -> T {
        let reused = self.connection != nil
        do {
            return try self.with(body)
        } catch let error as RedisError where error.isConnectionError && reused {
            return try self.with(body)
        }
    }
}

/// A script through `withReconnect`: run once more on a fresh connection when the reused one was dead.
extension LazyRedis: RedisScriptRunner {
    public func evaluate(_ script: RedisScript, keys: [String], arguments: [String]) throws -> RedisValue {
        try self.withReconnect { connection in try connection.evaluate(script, keys: keys, arguments: arguments) }
    }
}
