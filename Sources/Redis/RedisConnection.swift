import CHiredis
import Glibc

/// How to reach Redis and how long to wait.
public struct RedisConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// A unix socket path; when set it wins over host and port.
    public var socketPath: String?
    /// An ACL user; nil logs in as `default` (with `password`, if any).
    public var username: String?
    public var password: String?
    public var database: Int
    /// Seconds allowed for the TCP connect.
    public var connectTimeout: Double
    /// Seconds allowed for one reply. Blocking commands extend it by their own block time.
    public var commandTimeout: Double

    public init(
        host: String = "127.0.0.1", port: Int = 6379, socketPath: String? = nil, username: String? = nil,
        password: String? = nil,
        database: Int = 0, connectTimeout: Double = 2, commandTimeout: Double = 5
    ) {
        self.host = host
        self.port = port
        self.socketPath = socketPath
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    /// Parses `redis://[[user]:password@]host[:port][/db]` or `unix://[[user]:password@]/path/to.sock[?db=N]`.
    /// A user is an ACL user (`AUTH user password`); without one, `AUTH password` logs in as `default`. The password
    /// is taken literally up to the last `@` (no percent-decoding).
    public init?(url: String) {
        let isSocket = url.hasPrefix("unix://")
        guard isSocket || url.hasPrefix("redis://") else { return nil }
        var rest = Substring(url.dropFirst(isSocket ? "unix://".count : "redis://".count))
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let auth = rest[..<at].split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            // `redis://secret@host` (no colon) is a password, as it always was here.
            username = auth.count == 2 && !auth[0].isEmpty ? String(auth[0]) : nil
            password = auth.last.flatMap { $0.isEmpty ? nil : String($0) }
            guard username == nil || password != nil else { return nil }
            rest = rest[rest.index(after: at)...]
        }
        var database = 0
        if isSocket {
            if let question = rest.firstIndex(of: "?") {
                let query = rest[rest.index(after: question)...]
                guard query.hasPrefix("db="), let db = Int(query.dropFirst(3)), db >= 0 else { return nil }
                database = db
                rest = rest[..<question]
            }
            guard rest.hasPrefix("/") else { return nil }
            self.init(socketPath: String(rest), username: username, password: password, database: database)
            return
        }
        if let slash = rest.firstIndex(of: "/") {
            let dbText = rest[rest.index(after: slash)...]
            if !dbText.isEmpty {
                guard let db = Int(dbText), db >= 0 else { return nil }
                database = db
            }
            rest = rest[..<slash]
        }
        var host = String(rest)
        var port = 6379
        if let colon = rest.lastIndex(of: ":") {
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
            host = String(rest[..<colon])
        }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port, username: username, password: password, database: database)
    }
}

/// One connection to Redis (wraps a hiredis `redisContext`).
///
/// hiredis: a context must not be used from two threads at once, so this class is not `Sendable`;
/// each worker thread opens its own. A broken connection is re-established on the next command.
public final class RedisConnection {
    public let configuration: RedisConfiguration
    var context: UnsafeMutablePointer<redisContext>?
    var scriptSHAs: [String: String] = [:]
    /// Replies of `send(_:keys:arguments:)` calls: written, not read yet (ids `firstUnread..<nextSendID`),
    /// and read but not collected by `receive` yet.
    var nextSendID = 0
    var firstUnread = 0
    var collected: [Int: RedisValue] = [:]
    /// Grows when the context is dropped: replies of sends on an earlier context are lost.
    var generation = 0

    /// Connects immediately, so a wrong address fails at start-up rather than at the first command.
    public init(_ configuration: RedisConfiguration) throws(RedisError) {
        _ = Self.ignoreBrokenPipes
        self.configuration = configuration
        try self.connect()
    }

    /// hiredis writes with `write(2)`, which raises SIGPIPE when Redis has closed the socket; on a unix socket that
    /// happens on the first write after the close. The default action would kill the process (botctl, a test
    /// run) instead of letting the command fail with EPIPE and reconnect, so every process that uses Redis
    /// ignores SIGPIPE, as the responders and cron jobs already do.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    deinit {
        if let context = self.context { redisFree(context) }
    }

    /// Whether a live context is held (it may still turn out broken on the next command).
    public var isConnected: Bool { self.context != nil }

    private static func timeval(seconds: Double) -> timeval {
        let whole = Int(seconds)
        return Glibc.timeval(tv_sec: whole, tv_usec: Int((seconds - Double(whole)) * 1_000_000))
    }

    func connect() throws(RedisError) {
        self.disconnect()
        let connectTimeout = Self.timeval(seconds: self.configuration.connectTimeout)
        let raw: UnsafeMutablePointer<redisContext>? =
            if let path = self.configuration.socketPath {
                redisConnectUnixWithTimeout(path, connectTimeout)
            } else {
                redisConnectWithTimeout(self.configuration.host, Int32(self.configuration.port), connectTimeout)
            }
        guard let raw else { throw RedisError(code: .connectionFailed, message: "cannot allocate redis context") }
        if chiredis_err(raw) != 0 {
            let message = String(cString: chiredis_errstr(raw))
            redisFree(raw)
            throw RedisError(code: .connectionFailed, message: message)
        }
        _ = redisSetTimeout(raw, Self.timeval(seconds: self.configuration.commandTimeout))
        self.context = raw
        // A refused AUTH or SELECT must not leave a connection that runs as `default` or on db 0.
        var setup: [[String]] = []
        if let password = self.configuration.password {
            setup.append(["AUTH"] + (self.configuration.username.map { [$0] } ?? []) + [password])
        }
        if self.configuration.database != 0 { setup.append(["SELECT", String(self.configuration.database)]) }
        for command in setup {
            if case .error(let message) = try self.rawCommand(command, extraTimeout: 0) {
                self.disconnect()
                throw RedisError(code: .serverError, message: "\(command[0]): \(message)")
            }
        }
    }

    /// Drops the connection; the next command reconnects.
    public func disconnect() {
        if let context = self.context { redisFree(context) }
        self.context = nil
        self.generation += 1
        self.firstUnread = self.nextSendID
        self.collected = [:]
    }

    /// Runs one command given as arguments (binary-safe; wraps `redisCommandArgv`).
    ///
    /// A connection error drops the context and reconnects once before the command is sent,
    /// but a command that was already written is never re-sent: it may have run.
    /// - Parameter blockingSeconds: for BLPOP/BLMOVE-style commands, the block time to add to the read timeout.
    @discardableResult
    public func command(_ arguments: [String], blockingSeconds: Double = 0) throws(RedisError) -> RedisValue {
        try self.command(arguments.map { Array($0.utf8) }, blockingSeconds: blockingSeconds)
    }

    /// Runs one command whose arguments are raw bytes.
    @discardableResult
    public func command(_ arguments: [[UInt8]], blockingSeconds: Double = 0) throws(RedisError) -> RedisValue {
        if self.context == nil { try self.connect() }
        let reply = try self.rawCommand(arguments, extraTimeout: blockingSeconds)
        if case .error(let message) = reply {
            throw RedisError(code: message.hasPrefix("NOSCRIPT") ? .scriptMissing : .serverError, message: message)
        }
        return reply
    }

    private func rawCommand(_ arguments: [String], extraTimeout: Double) throws(RedisError) -> RedisValue {
        try self.rawCommand(arguments.map { Array($0.utf8) }, extraTimeout: extraTimeout)
    }

    private func rawCommand(_ arguments: [[UInt8]], extraTimeout: Double) throws(RedisError) -> RedisValue {
        try self.readOutstandingReplies()
        guard let context = self.context else { throw RedisError(code: .connectionFailed, message: "not connected") }
        if extraTimeout > 0 {
            _ = redisSetTimeout(context, Self.timeval(seconds: self.configuration.commandTimeout + extraTimeout))
        }
        defer {
            if extraTimeout > 0, let context = self.context {
                _ = redisSetTimeout(context, Self.timeval(seconds: self.configuration.commandTimeout))
            }
        }
        let reply = Self.withArgv(arguments) { argc, argv, lengths in
            redisCommandArgv(context, argc, argv, lengths)
        }
        guard let reply else { throw self.failConnection() }
        defer { freeReplyObject(reply) }
        return Self.convert(reply.assumingMemoryBound(to: redisReply.self))
    }

    /// Sends several commands in one round trip (`redisAppendCommandArgv` + `redisGetReply`).
    /// Error replies stay in place in the result; a connection failure throws.
    public func pipeline(_ commands: [[String]]) throws(RedisError) -> [RedisValue] {
        if commands.isEmpty { return [] }
        if self.context == nil { try self.connect() }
        try self.readOutstandingReplies()
        guard let context = self.context else { throw RedisError(code: .connectionFailed, message: "not connected") }
        for arguments in commands {
            let status = Self.withArgv(arguments.map { Array($0.utf8) }) { argc, argv, lengths in
                redisAppendCommandArgv(context, argc, argv, lengths)
            }
            guard status == REDIS_OK else { throw self.failConnection() }
        }
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw self.failConnection() }
            replies.append(Self.convert(raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
        return replies
    }

    /// Runs a Lua script by its SHA, loading it once per connection and again after `NOSCRIPT`
    /// (a server restart or `SCRIPT FLUSH` empties the cache).
    @discardableResult
    public func evaluate(_ script: RedisScript, keys: [String], arguments: [String]) throws(RedisError) -> RedisValue {
        let tail = [String(keys.count)] + keys + arguments
        if let sha = self.scriptSHAs[script.source] {
            do {
                return try self.command(["EVALSHA", sha] + tail)
            } catch  where error.code == .scriptMissing {
                self.scriptSHAs[script.source] = nil
            }
        }
        let loaded = try self.command(["SCRIPT", "LOAD", script.source])
        guard let sha = loaded.string else { throw RedisError(code: .unexpectedReply, message: "SCRIPT LOAD") }
        self.scriptSHAs[script.source] = sha
        return try self.command(["EVALSHA", sha] + tail)
    }

    /// Runs several scripts in one round trip (EVALSHA pipelined), in order; returns each reply.
    ///
    /// Scripts are loaded first if this connection has not loaded them. A script the server forgot
    /// (`NOSCRIPT` after a restart) is loaded and run again on its own, still in order, because a
    /// NOSCRIPT reply means it did not run. Any other error reply is thrown.
    public func evaluate(_ calls: [ScriptCall]) throws(RedisError) -> [RedisValue] {
        var replies = try self.pipelineScripts(calls)
        for index in replies.indices {
            guard case .error(let message) = replies[index] else { continue }
            guard message.hasPrefix("NOSCRIPT") else { throw RedisError(code: .serverError, message: message) }
            self.scriptSHAs[calls[index].script.source] = nil
            replies[index] = try self.evaluate(calls[index].script, keys: calls[index].keys, arguments: calls[index].arguments)
        }
        return replies
    }

    /// Runs several scripts in one round trip, in order, each with its own outcome: an error reply fails only its
    /// call (`NOSCRIPT` is loaded and run again on its own, still in order); a connection failure throws.
    public func evaluateEach(_ calls: [ScriptCall]) throws(RedisError) -> [Result<RedisValue, RedisError>] {
        let replies = try self.pipelineScripts(calls)
        var results: [Result<RedisValue, RedisError>] = []
        results.reserveCapacity(replies.count)
        for (call, reply) in zip(calls, replies) {
            switch reply {
            case .error(let message) where message.hasPrefix("NOSCRIPT"):
                self.scriptSHAs[call.script.source] = nil
                do {
                    results.append(.success(try self.evaluate(call.script, keys: call.keys, arguments: call.arguments)))
                } catch  where error.isConnectionError {
                    throw error
                } catch {
                    results.append(.failure(error))
                }
            case .error(let message): results.append(.failure(RedisError(code: .serverError, message: message)))
            default: results.append(.success(reply))
            }
        }
        return results
    }

    /// Loads the scripts this connection has not loaded yet, then pipelines their EVALSHA calls.
    private func pipelineScripts(_ calls: [ScriptCall]) throws(RedisError) -> [RedisValue] {
        for call in calls where self.scriptSHAs[call.script.source] == nil {
            let loaded = try self.command(["SCRIPT", "LOAD", call.script.source])
            guard let sha = loaded.string else { throw RedisError(code: .unexpectedReply, message: "SCRIPT LOAD") }
            self.scriptSHAs[call.script.source] = sha
        }
        return try self.pipeline(
            calls.map { call in
                ["EVALSHA", self.scriptSHAs[call.script.source] ?? "", String(call.keys.count)] + call.keys + call.arguments
            })
    }

    /// Records a broken connection: builds the error from the context and frees it.
    func failConnection() -> RedisError {
        guard let context = self.context else { return RedisError(code: .connectionFailed, message: "not connected") }
        let code: RedisError.Code
        switch chiredis_err(context) {
        case REDIS_ERR_PROTOCOL: code = .protocolError
        case REDIS_ERR_IO where errno == EAGAIN || errno == EWOULDBLOCK: code = .timeout
        default: code = .io
        }
        let error = RedisError(code: code, message: String(cString: chiredis_errstr(context)))
        self.disconnect()
        return error
    }

    static func withArgv<R>(
        _ arguments: [[UInt8]],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        // hiredis reads the argument bytes during the call only, so stable copies for its duration suffice.
        let buffers = arguments.map { bytes -> UnsafeMutableBufferPointer<CChar> in
            let buffer = UnsafeMutableBufferPointer<CChar>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBufferPointer { source in
                if let base = source.baseAddress {
                    UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: base, byteCount: bytes.count)
                }
            }
            return buffer
        }
        defer { buffers.forEach { $0.deallocate() } }
        var argv: [UnsafePointer<CChar>?] = buffers.map { UnsafePointer($0.baseAddress) }
        let lengths: [Int] = arguments.map(\.count)
        return argv.withUnsafeMutableBufferPointer { argvBuffer in
            lengths.withUnsafeBufferPointer { lengthBuffer in
                body(Int32(arguments.count), argvBuffer.baseAddress!, lengthBuffer.baseAddress!)
            }
        }
    }

    static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let value = reply.pointee
        switch Int32(value.type) {
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(value.integer))
        case REDIS_REPLY_NIL:
            return .null
        case REDIS_REPLY_STRING:
            return .bulk(Self.bytes(value.str, count: value.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: Self.bytes(value.str, count: value.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: Self.bytes(value.str, count: value.len), as: UTF8.self))
        case REDIS_REPLY_ARRAY:
            var items: [RedisValue] = []
            items.reserveCapacity(Int(value.elements))
            for index in 0..<Int(value.elements) {
                if let element = value.element[index] { items.append(Self.convert(element)) } else { items.append(.null) }
            }
            return .array(items)
        default:
            return .error("unknown reply type \(value.type)")
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, count: Int) -> [UInt8] {
        guard let pointer, count > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

/// One script call of a pipeline: the script, its keys and its arguments.
public typealias ScriptCall = (script: RedisScript, keys: [String], arguments: [String])

/// Something that runs Lua scripts: a thread's connection, or a process's shared `RedisGroupCommit`. A runner
/// other than a plain connection (`LazyRedis`, `RedisGroupCommit`) may send a script once more after finding its
/// connection dead, so give runners idempotent scripts only, such as an enqueue guarded by its de-duplication key.
public protocol RedisScriptRunner {
    /// Runs `script` and returns its reply; an error reply or a connection failure throws.
    func evaluate(_ script: RedisScript, keys: [String], arguments: [String]) throws -> RedisValue
}

extension RedisConnection: RedisScriptRunner {}

/// A Lua script, sent once per connection and then called by SHA.
public struct RedisScript: Sendable, Hashable {
    public let source: String
    public init(_ source: String) { self.source = source }
}
