import Glibc

/// One Redis connection shared by all threads of a process, with group commit: the scripts that threads ask for
/// while a batch is in flight go out together as the next batch, in one write, and their replies come back in one
/// read. Redis runs a batch in one event-loop turn, so with `appendfsync always` a single fsync covers all of it,
/// and it reads and writes once per batch instead of once per call.
///
/// Each caller returns only when its own script's reply has arrived (or with the error that stopped it), exactly
/// as on a connection of its own: nothing is acknowledged on another call's reply. One batch is in flight at a
/// time; the thread whose call starts a batch writes and reads it (the leader), the others wait, each on its own
/// condition variable, so a reply wakes only its caller; then the first call that came meanwhile leads the next.
///
/// A connection that turns out dead (Redis restarted while it sat idle) is replaced and the batch sent once more,
/// like `LazyRedis.withReconnect`: use it for idempotent scripts only, such as an enqueue guarded by its
/// de-duplication key. The connection is opened on first use, so a process starts while Redis is down.
public final class RedisGroupCommit: RedisScriptRunner, @unchecked Sendable {
    // @unchecked Sendable: `waiting`, `leading`, the counters and every `Call`'s fields are guarded by `mutex`;
    // `connection` is used only by the current leader, and there is one leader at a time (`leading`).
    private final class Call {
        let call: ScriptCall
        var result: Result<RedisValue, RedisError>?
        /// Set when the previous leader hands this call's thread the next batch.
        var leads = false
        /// Signalled when `result` or `leads` is set: each waiter has its own, so a reply wakes exactly its caller.
        let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        init(_ call: ScriptCall) {
            self.call = call
            pthread_cond_init(self.wake, nil)
        }
        deinit {
            pthread_cond_destroy(self.wake)
            self.wake.deallocate()
        }
    }

    public let configuration: RedisConfiguration
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var waiting: [Call] = []
    private var leading = false
    private var sentBatches = 0
    private var sentCalls = 0
    private var connection: RedisConnection?

    public init(_ configuration: RedisConfiguration) {
        self.configuration = configuration
        pthread_mutex_init(self.mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(self.mutex)
        self.mutex.deallocate()
    }

    /// Batches sent so far and the calls in them (how much grouping happened).
    public var statistics: (batches: Int, calls: Int) {
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        return (self.sentBatches, self.sentCalls)
    }

    /// Runs `script` in the next batch and returns its own reply; its error reply or a connection failure throws.
    public func evaluate(_ script: RedisScript, keys: [String], arguments: [String]) throws(RedisError) -> RedisValue {
        let call = Call((script, keys, arguments))
        pthread_mutex_lock(self.mutex)
        self.waiting.append(call)
        if self.leading {
            while call.result == nil && !call.leads { pthread_cond_wait(call.wake, self.mutex) }
        } else {
            self.leading = true
            call.leads = true
        }
        if call.result == nil { self.lead() }
        let result = call.result!
        pthread_mutex_unlock(self.mutex)
        return try result.get()
    }

    /// Sends every waiting call as one batch (called and returning with `mutex` held), hands out the replies, then
    /// hands the lead to the first call that arrived meanwhile, if any.
    private func lead() {
        let batch = self.waiting
        self.waiting = []
        pthread_mutex_unlock(self.mutex)
        let results = self.send(batch.map(\.call))
        pthread_mutex_lock(self.mutex)
        for (waiter, result) in zip(batch, results) {
            waiter.result = result
            pthread_cond_signal(waiter.wake)
        }
        self.sentBatches += 1
        self.sentCalls += batch.count
        if let next = self.waiting.first {
            next.leads = true
            pthread_cond_signal(next.wake)
        } else {
            self.leading = false
        }
    }

    /// One batch: every call's own result. A connection failure fails every call of the batch.
    private func send(_ calls: [ScriptCall]) -> [Result<RedisValue, RedisError>] {
        let reused = self.connection != nil
        do {
            return try self.attempt(calls)
        } catch  where error.isConnectionError && reused {
            do { return try self.attempt(calls) } catch { return calls.map { _ in .failure(error) } }
        } catch {
            return calls.map { _ in .failure(error) }
        }
    }

    private func attempt(_ calls: [ScriptCall]) throws(RedisError) -> [Result<RedisValue, RedisError>] {
        let connection: RedisConnection
        if let open = self.connection { connection = open } else { connection = try RedisConnection(self.configuration) }
        self.connection = connection
        do {
            return try connection.evaluateEach(calls)
        } catch {
            if error.isConnectionError { self.connection = nil }
            throw error
        }
    }
}
