import Glibc
public import Redis

/// A sliding-window limit shared by every process through Redis (one sorted set of send times).
public struct SlidingWindowLimiter: Sendable {
    public let key: String
    public let limit: Int
    public let windowSeconds: Double

    /// - Parameter name: the provider, e.g. `chat2desk`; keys are `rl:{name}` and `rl:{name}:pause`.
    public init(name: String, limit: Int, windowSeconds: Double) {
        self.key = "rl:{\(name)}"
        self.limit = limit
        self.windowSeconds = windowSeconds
    }

    /// Takes a slot if one is free; otherwise returns how many seconds to wait before asking again.
    public func tryAcquire(nowMilliseconds: Int64, on redis: RedisConnection) throws -> Double {
        var generator = SystemRandomNumberGenerator()
        let member = "\(nowMilliseconds)-\(generator.next() % 1_000_000_000)"
        let wait = try redis.evaluate(
            Self.script, keys: [self.key, self.key + ":pause"],
            arguments: [String(nowMilliseconds), String(Int64(self.windowSeconds * 1000)), String(self.limit), member])
        return Double(wait.integer ?? 0) / 1000
    }

    /// A slot asked for ahead of time with `startTryAcquire`: the script is on its way while the caller works.
    public struct Request {
        let pending: RedisConnection.PendingReply
        let connection: RedisConnection
        /// The window member the slot is recorded under, for `release`.
        public let member: String
    }

    /// Sends the `tryAcquire` script without waiting; `finishTryAcquire` reads the answer.
    public func startTryAcquire(nowMilliseconds: Int64, on redis: RedisConnection) throws -> Request {
        var generator = SystemRandomNumberGenerator()
        let member = "\(nowMilliseconds)-\(generator.next() % 1_000_000_000)"
        let pending = try redis.send(
            Self.script, keys: [self.key, self.key + ":pause"],
            arguments: [String(nowMilliseconds), String(Int64(self.windowSeconds * 1000)), String(self.limit), member])
        return Request(pending: pending, connection: redis, member: member)
    }

    /// Seconds to wait, as `tryAcquire` returns them (0: the slot is taken); throws when the answer was lost
    /// or was an error (the caller then acquires the usual way).
    public func finishTryAcquire(_ request: Request) throws -> Double {
        let reply = try request.connection.receive(request.pending)
        guard let wait = reply.integer else { throw RedisError(code: .unexpectedReply, message: "rate limit: \(reply)") }
        return Double(wait) / 1000
    }

    /// Gives back a slot that was taken but not used.
    public func release(member: String, on redis: RedisConnection) throws {
        try redis.evaluate(Self.releaseScript, keys: [self.key], arguments: [member])
    }

    /// Blocks until a slot is free, unless that would take longer than `maxWaitSeconds`: then returns at once
    /// with how long the limiter asked to wait (a provider's long pause is the caller's to schedule, not to sleep).
    /// nil when the slot was taken.
    public func acquire(maxWaitSeconds: Double, clock: Clock, on redis: RedisConnection) throws -> Double? {
        let deadline = monotonicSeconds() + maxWaitSeconds
        while true {
            let wait = try self.tryAcquire(nowMilliseconds: clock.nowMilliseconds, on: redis)
            if wait <= 0 { return nil }
            if monotonicSeconds() + wait > deadline { return wait }
            sleepSeconds(wait)
        }
    }

    /// Stops every process from sending for `seconds` (the provider said 429 with Retry-After).
    public func pause(seconds: Double, on redis: RedisConnection) throws {
        try redis.command(["SET", self.key + ":pause", "1", "PX", String(max(1, Int64(seconds * 1000)))])
    }

    // KEYS: window zset, pause flag. ARGV: now ms, window ms, limit, unique member. Returns ms to wait (0 = taken).
    //
    // The window is not written to the AOF or to replicas (`set_repl`): it is worth nothing after a restart, and
    // with `appendfsync always` every AOF write is an fsync that the queue's writes would wait behind. A Redis
    // restart therefore starts an empty window; a provider's 429 is still honoured. (The 429 pause is kept.)
    static let script = RedisScript(
        """
        redis.set_repl(redis.REPL_NONE)
        local paused = redis.call('PTTL', KEYS[2])
        if paused > 0 then return paused end
        local now = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
        -- Entries stamped more than a window ahead come from a clock that has since moved back
        -- (another host's skew, a corrected clock): they must not block this window forever.
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '(' .. (now + window), '+inf')
        if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
          redis.call('ZADD', KEYS[1], now, ARGV[4])
          redis.call('PEXPIRE', KEYS[1], window)
          return 0
        end
        local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        return math.max(1, tonumber(oldest[2]) + window - now)
        """)

    // KEYS: window zset. ARGV: member. Not persisted, like the window it changes.
    static let releaseScript = RedisScript(
        """
        redis.set_repl(redis.REPL_NONE)
        redis.call('ZREM', KEYS[1], ARGV[1])
        return 1
        """)
}

/// Sleeps the calling thread (worker threads only; never in async code).
public func sleepSeconds(_ seconds: Double) {
    guard seconds > 0 else { return }
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 { request = remaining }
}
