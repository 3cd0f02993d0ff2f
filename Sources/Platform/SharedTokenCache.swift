public import Logging
import Redis

/// An API access token cached twice: in memory, and in Redis as `"<expiresAt> <token>"` with a TTL, shared by
/// every process so a new cron run does not mint a token per minute. Redis failures never fail a call: the
/// token is then minted (or kept) locally.
public final class SharedTokenCache {
    public let key: String
    private let redis: LazyRedis?
    private let clock: Clock
    private let logger: Logger
    private var cached: (token: String, expiresAt: Double)?

    /// - Parameter key: one per account and scope set; `redis` nil keeps tokens in memory only.
    public init(key: String, redis: LazyRedis?, clock: Clock, logger: Logger) {
        self.key = key
        self.redis = redis
        self.clock = clock
        self.logger = logger
    }

    /// A valid token: from memory, else from Redis, else `mint()`ed (and then shared).
    /// - Parameters:
    ///   - forceRefresh: skip both caches (after the provider refused the cached token).
    ///   - mint: requests a new token; returns it with the time (seconds since 1970) to stop using it.
    public func token(forceRefresh: Bool = false, mint: () throws -> (token: String, expiresAt: Double)) throws -> String {
        let now = self.clock.now()
        if !forceRefresh {
            if let cached = self.cached, now < cached.expiresAt { return cached.token }
            if let shared = self.readShared(now: now) {
                self.cached = shared
                return shared.token
            }
        }
        let fresh = try mint()
        self.cached = fresh
        self.writeShared(fresh, now: self.clock.now())
        return fresh.token
    }

    /// Forgets `token` (in memory and in Redis, unless another process already replaced it there).
    public func invalidate(_ token: String) {
        if self.cached?.token == token { self.cached = nil }
        guard let redis = self.redis else { return }
        do {
            _ = try redis.with { try $0.evaluate(Self.deleteIfToken, keys: [self.key], arguments: [token]) }
        } catch {
            self.logger.warning("token cache unavailable", metadata: ["cache": "\(self.key)", "error": "\(error)"])
        }
    }

    private func readShared(now: Double) -> (token: String, expiresAt: Double)? {
        guard let redis = self.redis else { return nil }
        do {
            guard let value = try redis.with({ try $0.command(["GET", self.key]) }).string,
                let space = value.firstIndex(of: " "), let expiresAt = Double(value[..<space]), now < expiresAt
            else { return nil }
            return (String(value[value.index(after: space)...]), expiresAt)
        } catch {
            self.logger.warning("token cache unavailable", metadata: ["cache": "\(self.key)", "error": "\(error)"])
            return nil
        }
    }

    private func writeShared(_ token: (token: String, expiresAt: Double), now: Double) {
        guard let redis = self.redis else { return }
        let milliseconds = Int64((token.expiresAt - now) * 1000)
        guard milliseconds >= 1000 else { return }
        do {
            _ = try redis.with {
                try $0.command(["SET", self.key, "\(token.expiresAt) \(token.token)", "PX", String(milliseconds)])
            }
        } catch {
            self.logger.warning("token cache unavailable", metadata: ["cache": "\(self.key)", "error": "\(error)"])
        }
    }

    // KEYS: token key. ARGV: the refused token. Deletes the shared entry only if it still holds that token.
    private static let deleteIfToken = RedisScript(
        """
        local value = redis.call('GET', KEYS[1])
        if value and string.sub(value, -string.len(ARGV[1])) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """)
}
