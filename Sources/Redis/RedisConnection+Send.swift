import CHiredis

extension RedisConnection {
    /// A reply still to be collected with `receive(_:)`.
    public struct PendingReply: Sendable {
        let id: Int
        let generation: Int
    }

    /// Writes a script call without waiting for the reply, so the caller can spend the round trip (with
    /// `appendfsync always`, an fsync) on other work, such as a PostgreSQL round trip; collect it with
    /// `receive(_:)`. Other commands on this connection first read every outstanding reply and keep it for
    /// its `receive`, so the reply stream never goes out of step.
    public func send(_ script: RedisScript, keys: [String], arguments: [String]) throws(RedisError) -> PendingReply {
        if self.context == nil { try self.connect() }
        if self.scriptSHAs[script.source] == nil {
            let loaded = try self.command(["SCRIPT", "LOAD", script.source])
            guard let sha = loaded.string else { throw RedisError(code: .unexpectedReply, message: "SCRIPT LOAD") }
            self.scriptSHAs[script.source] = sha
        }
        guard let context = self.context, let sha = self.scriptSHAs[script.source] else {
            throw RedisError(code: .connectionFailed, message: "not connected")
        }
        let arguments = (["EVALSHA", sha, String(keys.count)] + keys + arguments).map { Array($0.utf8) }
        let status = Self.withArgv(arguments) { argc, argv, lengths in redisAppendCommandArgv(context, argc, argv, lengths) }
        guard status == REDIS_OK else { throw self.failConnection() }
        // hiredis only buffers appended commands; write them out now so the server starts on it.
        var done: Int32 = 0
        while done == 0 {
            guard redisBufferWrite(context, &done) == REDIS_OK else { throw self.failConnection() }
        }
        let pending = PendingReply(id: self.nextSendID, generation: self.generation)
        self.nextSendID += 1
        return pending
    }

    /// The reply of an earlier `send`. Throws if the connection broke since (the call may or may not have run).
    /// A `NOSCRIPT` or other error reply is returned as `.error`, not thrown.
    public func receive(_ pending: PendingReply) throws(RedisError) -> RedisValue {
        guard pending.generation == self.generation else {
            throw RedisError(code: .connectionFailed, message: "the connection was re-established before the reply")
        }
        if let value = self.collected.removeValue(forKey: pending.id) { return value }
        while self.firstUnread <= pending.id { try self.readOneOutstanding() }
        guard let value = self.collected.removeValue(forKey: pending.id) else {
            throw RedisError(code: .unexpectedReply, message: "reply already collected")
        }
        return value
    }

    /// Reads every outstanding reply into `collected` (before a synchronous command uses the connection).
    func readOutstandingReplies() throws(RedisError) {
        while self.firstUnread < self.nextSendID { try self.readOneOutstanding() }
    }

    private func readOneOutstanding() throws(RedisError) {
        guard let context = self.context else { throw RedisError(code: .connectionFailed, message: "not connected") }
        var raw: UnsafeMutableRawPointer?
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw self.failConnection() }
        self.collected[self.firstUnread] = Self.convert(raw.assumingMemoryBound(to: redisReply.self))
        freeReplyObject(raw)
        self.firstUnread += 1
    }
}
