import FoundationEssentials
public import Redis

/// A durable Redis queue of inbound messages, ordered per conversation.
///
/// Layout (every key carries the hash tag `{name}`, so one queue lives in one Cluster slot):
/// - `q:{name}:c:<conversation>` a list of that conversation's messages, oldest first;
/// - `q:{name}:sched` a sorted set: conversation → the time (ms) it may next be claimed. A claim
///   pushes the score to now + lease, which is the lease itself: a crashed worker's conversation
///   simply becomes due again, and nobody else can claim it meanwhile (one worker per conversation);
/// - `q:{name}:attempts` / `q:{name}:owner` hashes: deliveries of the head message / the lease token;
/// - `q:{name}:seen:<id>` de-duplication keys; `q:{name}:depth` the pending count;
/// - `q:{name}:wake` a short list idle workers block on; `q:{name}:dead` dead letters;
/// - `q:{name}:since` a sorted set: conversation → the time (ms) its head message started waiting (when it
///   arrived in an empty conversation, or when the message before it was done), for the oldest-waiting age that
///   `/metrics` and `/health` report; `q:{name}:metrics` the enqueue script's counters (`<route>:queued|duplicate`).
public struct InboundQueue: Sendable {
    /// A claimed message; `token` proves ownership of the conversation's lease.
    public struct Delivery: Sendable, Equatable {
        public let conversation: String
        public let payload: String
        /// 1 for the first delivery; a crashed worker's message comes back with 2, 3, ...
        public let attempt: Int
        public let token: String
    }

    /// A dead letter: the message, the error and when it failed.
    public struct DeadLetter: Codable, Sendable, Equatable {
        public let conversation: String
        public let payload: String
        public let error: String
        public let attempts: Int
        public let failedAt: Double
    }

    public let name: String
    private let prefix: String

    public init(name: String) {
        self.name = name
        self.prefix = "q:{\(name)}:"
    }

    /// The Shoro bot's queue: Chat2Desk messages, one conversation per client.
    public static let shoro = InboundQueue(name: "shoro")
    /// The Academy bot's queue: Tilda submissions and Telegram updates, one conversation per lead or chat.
    public static let academy = InboundQueue(name: "academy")

    var scheduleKey: String { self.prefix + "sched" }
    var attemptsKey: String { self.prefix + "attempts" }
    var ownerKey: String { self.prefix + "owner" }
    var depthKey: String { self.prefix + "depth" }
    var wakeKey: String { self.prefix + "wake" }
    var deadKey: String { self.prefix + "dead" }
    /// Failures in a row that were not the head message's fault (outages), for its backoff.
    var stallsKey: String { self.prefix + "stalls" }
    var sinceKey: String { self.prefix + "since" }
    var metricsKey: String { self.prefix + "metrics" }
    func conversationKey(_ conversation: String) -> String { self.prefix + "c:" + conversation }
    func seenKey(_ id: String) -> String { self.prefix + "seen:" + id }

    /// Appends a message unless `dedupeID` was seen within `dedupeSeconds`; both happen in one script,
    /// so a retried webhook can never be queued twice. Returns false for a duplicate.
    ///
    /// Every time the queue stores (due times, lease deadlines) is Redis's own clock (`TIME` inside the
    /// scripts), never the calling host's: a host whose clock runs 40 s ahead could otherwise take over live
    /// conversations, and one running behind would hold its leases too long.
    /// `metricsRoute` (a webhook route, nil when metrics are off) makes the same script count the outcome in
    /// `q:{name}:metrics`, so counting costs the webhook no round trip of its own.
    @discardableResult
    public func enqueue(
        _ payload: String, conversation: String, dedupeID: String?, dedupeSeconds: Int, metricsRoute: String? = nil,
        on redis: some RedisScriptRunner
    ) throws -> Bool {
        let result = try redis.evaluate(
            Self.enqueueScript, keys: self.enqueueKeys(conversation: conversation, dedupeID: dedupeID),
            arguments: self.enqueueArguments(
                payload, conversation: conversation, dedupeID: dedupeID, dedupeSeconds: dedupeSeconds, metricsRoute: metricsRoute))
        return result.integer == 1
    }

    /// The de-duplicate-and-enqueue script, its keys and arguments: `enqueue` runs them, and the bench's peer
    /// servers take them from `botctl bench-peer-spec`, so every server measured runs the same script.
    public static var enqueueScript: RedisScript { Scripts.enqueue }

    public func enqueueKeys(conversation: String, dedupeID: String?) -> [String] {
        [
            dedupeID.map(self.seenKey) ?? self.prefix + "seen:-", self.conversationKey(conversation),
            self.scheduleKey, self.depthKey, self.wakeKey, self.sinceKey, self.metricsKey,
        ]
    }

    /// `metricsRoute`: the webhook route whose `queued`/`duplicate` counters the script adds to (none when nil).
    public func enqueueArguments(
        _ payload: String, conversation: String, dedupeID: String?, dedupeSeconds: Int, metricsRoute: String? = nil
    ) -> [String] {
        [payload, conversation, dedupeID == nil ? "" : String(dedupeSeconds), metricsRoute ?? ""]
    }

    /// What `/metrics` and `/health` read of a queue, in one round trip.
    public struct Snapshot: Sendable, Equatable {
        /// Messages waiting or in flight.
        public var depth: Int
        public var deadLetters: Int
        /// Seconds the longest-waiting conversation's head message has waited (0 when none waits).
        public var oldestAgeSeconds: Double
        /// The enqueue script's counts: route → outcome (`queued`, `duplicate`) → total.
        public var webhooks: [String: [String: Double]]
    }

    public func snapshot(on redis: RedisConnection) throws -> Snapshot {
        let replies = try redis.pipeline([
            ["GET", self.depthKey], ["LLEN", self.deadKey], ["ZRANGE", self.sinceKey, "0", "0", "WITHSCORES"], ["TIME"],
            ["HGETALL", self.metricsKey],
        ])
        guard replies.count == 5 else { throw RedisError(code: .unexpectedReply, message: "queue snapshot") }
        var age = 0.0
        if let oldest = replies[2].array, oldest.count == 2, let since = oldest[1].string.flatMap(Double.init),
            let time = replies[3].array, time.count == 2, let seconds = time[0].integer, let micros = time[1].integer
        {
            age = max(0, (Double(seconds) * 1000 + Double(micros / 1000) - since) / 1000)
        }
        var webhooks: [String: [String: Double]] = [:]
        let counts = replies[4].array ?? []
        for index in stride(from: 0, to: counts.count - 1, by: 2) {
            guard let field = counts[index].string, let value = counts[index + 1].string.flatMap(Double.init),
                let colon = field.lastIndex(of: ":")
            else { continue }
            webhooks[String(field[..<colon]), default: [:]][String(field[field.index(after: colon)...])] = value
        }
        return Snapshot(
            depth: Int(replies[0].integer ?? 0), deadLetters: Int(replies[1].integer ?? 0), oldestAgeSeconds: age,
            webhooks: webhooks)
    }

    /// What a claim found.
    public enum ClaimResult: Sendable, Equatable {
        /// One to `upTo` deliveries, each the head message of a different conversation, oldest due first.
        case deliveries([Delivery])
        /// Nothing due; `nextDueInMilliseconds` is how long until the earliest conversation becomes due, if any.
        case empty(nextDueInMilliseconds: Int64?)
    }

    /// Claims the head messages of up to `max` due conversations (oldest due first) in one script: under a
    /// backlog a worker takes several conversations per round trip; when one is due it gets that one at once.
    /// Each conversation is leased on its own, so every guarantee of `claim` holds per conversation.
    ///
    /// `workers` is how many workers of the caller's process claim from this queue: each takes its share of what is
    /// due (`ceil(due / workers)`, at most `max`). A batch's replies go out one after another, so ten due conversations
    /// taken by one worker of five would wait for each other while four workers idle; taken two each, they are
    /// answered in parallel. Only a backlog of `max` per worker fills whole batches.
    public func claim(upTo max: Int, sharedBy workers: Int = 1, leaseSeconds: Double, on redis: RedisConnection) throws -> ClaimResult {
        let token = Self.makeToken()
        while true {
            let reply = try redis.evaluate(
                Scripts.claim, keys: self.claimKeys,
                arguments: self.claimArguments(max: max, workers: workers, leaseSeconds: leaseSeconds, token: token))
            if let result = try self.claimResult(reply, token: token) { return result }
            // only conversations with an empty list were due, and were cleaned up; look again
        }
    }

    /// Acknowledges `deliveries` (see `acknowledge`; one flag each, in order) and claims up to `max` more
    /// (see `claim(upTo:)`) in one round trip, which halves the Redis writes a busy worker waits for (each
    /// one is an fsync with `appendfsync always`), and covers a whole batch with one of them.
    public func acknowledgeAndClaim(
        _ deliveries: [Delivery], upTo max: Int, sharedBy workers: Int = 1, leaseSeconds: Double, on redis: RedisConnection
    ) throws -> (acknowledged: [Bool], next: ClaimResult) {
        let token = Self.makeToken()
        let replies = try redis.evaluate([
            (Scripts.acknowledge, self.acknowledgeKeys, [self.prefix] + deliveries.flatMap { [$0.conversation, $0.token] }),
            (Scripts.claim, self.claimKeys, self.claimArguments(max: max, workers: workers, leaseSeconds: leaseSeconds, token: token)),
        ])
        let acknowledged = try self.flags(replies[0], count: deliveries.count, script: "acknowledge")
        if let next = try self.claimResult(replies[1], token: token) { return (acknowledged, next) }
        return (acknowledged, try self.claim(upTo: max, sharedBy: workers, leaseSeconds: leaseSeconds, on: redis))
    }

    private var claimKeys: [String] { [self.scheduleKey, self.attemptsKey, self.ownerKey, self.stallsKey] }
    private var acknowledgeKeys: [String] {
        [self.scheduleKey, self.attemptsKey, self.ownerKey, self.depthKey, self.wakeKey, self.stallsKey]
    }

    private func claimArguments(max: Int, workers: Int, leaseSeconds: Double, token: String) -> [String] {
        [String(Int64(leaseSeconds * 1000)), token, self.prefix, String(Swift.max(1, max)), String(Swift.max(1, workers))]
    }

    /// The claim script's reply; nil when it only cleaned up empty conversations (claim again).
    private func claimResult(_ reply: RedisValue, token: String) throws -> ClaimResult? {
        guard let items = reply.array, let kind = items.first?.integer else {
            throw RedisError(code: .unexpectedReply, message: "claim")
        }
        switch kind {
        case 1:
            guard items.count >= 4, (items.count - 1) % 3 == 0 else { throw RedisError(code: .unexpectedReply, message: "claim") }
            return .deliveries(
                stride(from: 1, to: items.count, by: 3).map { index in
                    Delivery(
                        conversation: items[index].string ?? "", payload: items[index + 1].string ?? "",
                        attempt: Int(items[index + 2].integer ?? 1), token: token)
                })
        case 2:
            return nil
        default:
            return .empty(nextDueInMilliseconds: items.count > 1 ? items[1].integer : nil)
        }
    }

    /// One 0/1 flag per item of a looping script's reply.
    private func flags(_ reply: RedisValue, count: Int, script: String) throws -> [Bool] {
        guard let items = reply.array, items.count == count else { throw RedisError(code: .unexpectedReply, message: script) }
        return items.map { $0.integer == 1 }
    }

    /// Blocks up to `seconds` for an enqueue signal (returns early when one arrives).
    public func waitForWork(seconds: Double, on redis: RedisConnection) throws {
        let timeout = max(0.01, seconds)
        try redis.command(["BLPOP", self.wakeKey, String(format3(timeout))], blockingSeconds: timeout)
    }

    /// Removes the head messages after they were handled, in one script; one flag each, in order. False when
    /// that lease was lost meanwhile (another worker now owns the conversation and will re-run the message).
    @discardableResult
    public func acknowledge(_ deliveries: [Delivery], on redis: RedisConnection) throws -> [Bool] {
        let reply = try redis.evaluate(
            Scripts.acknowledge, keys: self.acknowledgeKeys,
            arguments: [self.prefix] + deliveries.flatMap { [$0.conversation, $0.token] })
        return try self.flags(reply, count: deliveries.count, script: "acknowledge")
    }

    /// Schedules the head message again after `delaySeconds` (the conversation waits with it, keeping order).
    /// The delivery counts toward the message's attempts: use this when the failure may be the message's own.
    @discardableResult
    public func retry(_ delivery: Delivery, delaySeconds: Double, on redis: RedisConnection) throws -> Bool {
        try redis.evaluate(
            Scripts.retry, keys: [self.scheduleKey, self.ownerKey],
            arguments: [delivery.conversation, delivery.token, String(Int64(delaySeconds * 1000))]
        ).integer == 1
    }

    /// Schedules the head message again after a failure that was not the message's fault (PostgreSQL or Redis
    /// down or restarting): the delivery is given back (it does not count toward the dead letter), and the
    /// conversation waits `backoff` doubled for each such failure in a row, capped (1 s, 2 s, 4 s … 60 s by
    /// default), so an outage of any length makes work wait instead of burning its attempts.
    /// Returns the wait in seconds, or nil when the lease was lost meanwhile.
    @discardableResult
    public func postpone(
        _ delivery: Delivery, backoffSeconds: Double, maxBackoffSeconds: Double, on redis: RedisConnection
    ) throws -> Double? {
        let reply = try redis.evaluate(
            Scripts.postpone, keys: [self.scheduleKey, self.ownerKey, self.attemptsKey, self.stallsKey],
            arguments: [
                delivery.conversation, delivery.token, String(Int64(backoffSeconds * 1000)),
                String(Int64(maxBackoffSeconds * 1000)),
            ])
        guard let milliseconds = reply.integer, milliseconds >= 0 else { return nil }
        return Double(milliseconds) / 1000
    }

    /// Moves the head message to the dead letters with the error, and lets the conversation continue.
    @discardableResult
    public func deadLetter(_ delivery: Delivery, error: String, now: Double, on redis: RedisConnection) throws -> Bool {
        let record = DeadLetter(
            conversation: delivery.conversation, payload: delivery.payload, error: error, attempts: delivery.attempt,
            failedAt: now)
        let json = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
        return try redis.evaluate(
            Scripts.deadLetter,
            keys: [self.scheduleKey, self.attemptsKey, self.ownerKey, self.depthKey, self.deadKey, self.wakeKey, self.stallsKey],
            arguments: [delivery.conversation, delivery.token, self.prefix, json]
        ).integer == 1
    }

    /// Pushes leases to `leaseSeconds` from now (Redis's clock) while a long step is still running, in one script;
    /// one flag each, in order (false: that lease was lost).
    @discardableResult
    public func extendLeases(_ deliveries: [Delivery], leaseSeconds: Double, on redis: RedisConnection) throws -> [Bool] {
        let reply = try redis.evaluate(
            Scripts.extend, keys: [self.scheduleKey, self.ownerKey],
            arguments: [String(Int64(leaseSeconds * 1000))] + deliveries.flatMap { [$0.conversation, $0.token] })
        return try self.flags(reply, count: deliveries.count, script: "extend")
    }

    /// Messages waiting or in flight.
    public func depth(on redis: RedisConnection) throws -> Int {
        Int(try redis.command(["GET", self.depthKey]).integer ?? 0)
    }

    /// The dead letters, oldest first.
    public func deadLetters(on redis: RedisConnection) throws -> [DeadLetter] {
        let items = try redis.command(["LRANGE", self.deadKey, "0", "-1"]).array ?? []
        return try items.compactMap { $0.string }.map { try JSONDecoder().decode(DeadLetter.self, from: Data($0.utf8)) }
    }

    /// Retention of the dead letters (`cron-prune`): removes those that failed more than `olderThanSeconds` ago (by
    /// Redis's clock) and the oldest beyond the newest `keep`; `dryRun` only counts them. One script, so a letter
    /// that `replayDeadLetters` moves at the same time is either replayed or pruned, never both.
    public func pruneDeadLetters(olderThanSeconds: Double, keep: Int, dryRun: Bool, on redis: RedisConnection) throws -> Int {
        Int(
            try redis.evaluate(
                Scripts.pruneDeadLetters, keys: [self.deadKey],
                arguments: [String(olderThanSeconds), String(keep), dryRun ? "1" : "0"]
            ).integer ?? 0)
    }

    /// The dead letters as stored (each one JSON record), oldest first: what `replayDeadLetter(record:)` and
    /// `discardDeadLetter(record:)` take, so an operator acts on exactly the letter they looked at.
    public func deadLetterRecords(on redis: RedisConnection) throws -> [String] {
        (try redis.command(["LRANGE", self.deadKey, "0", "-1"]).array ?? []).compactMap(\.string)
    }

    /// Re-queues every dead letter (bypassing de-duplication) and removes it from the dead list.
    ///
    /// A replayed message goes to the *front* of its conversation, not behind the messages that arrived since:
    /// it runs next (right after the message being handled now, if one is), before anything newer, so the
    /// conversation keeps the order the customer wrote in as far as it still can. Several dead letters of one
    /// conversation keep their order among themselves. A dialog that moved on meanwhile reads the replayed
    /// message in its current state (its usual re-prompts apply); a message already committed (its id is in the
    /// step's log) changes nothing. Each letter moves in one script, so a crash cannot lose or double it.
    public func replayDeadLetters(on redis: RedisConnection) throws -> Int {
        // Newest first: each replay goes in front of the ones replayed before it, so the oldest ends up first.
        try self.deadLetterRecords(on: redis).reversed().count(where: { try self.replayDeadLetter(record: $0, on: redis) })
    }

    /// Re-queues one dead letter (see `replayDeadLetters`) in one script that first removes exactly this record
    /// from the dead list: of two operators replaying the same letter at once, one gets true and the other false,
    /// and the message is queued once. False also when the letter is gone (replayed or discarded already).
    public func replayDeadLetter(record: String, on redis: RedisConnection) throws -> Bool {
        let letter = try JSONDecoder().decode(DeadLetter.self, from: Data(record.utf8))
        return try redis.evaluate(
            Scripts.replay,
            keys: [
                self.deadKey, self.conversationKey(letter.conversation), self.scheduleKey, self.attemptsKey,
                self.ownerKey, self.depthKey, self.wakeKey, self.stallsKey, self.sinceKey,
            ],
            arguments: [record, letter.payload, letter.conversation]
        ).integer == 1
    }

    /// Drops one dead letter for good (one `LREM`, so it happens once); false when it was already gone.
    public func discardDeadLetter(record: String, on redis: RedisConnection) throws -> Bool {
        (try redis.command(["LREM", self.deadKey, "1", record]).integer ?? 0) == 1
    }

    /// What an operator watches, read in one script (read-only) at one instant of Redis's clock.
    public struct Figures: Sendable, Equatable {
        /// Messages waiting or in flight (the `depth` counter).
        public let depth: Int
        /// Conversations with messages, due or leased.
        public let conversations: Int
        /// Dead letters (`LLEN`, not decoded).
        public let deadLetters: Int
        /// How long the longest-waiting due conversation has waited for a drainer, in seconds (0 when none is
        /// overdue). A leased conversation is not waiting; its score is its lease's end, in the future.
        public let oldestWaitSeconds: Double
    }

    public func figures(on redis: RedisConnection) throws -> Figures {
        let reply = try redis.evaluate(Scripts.figures, keys: [self.scheduleKey, self.depthKey, self.deadKey], arguments: [])
        guard let items = reply.array, items.count == 4 else { throw RedisError(code: .unexpectedReply, message: "figures") }
        return Figures(
            depth: Int(items[0].integer ?? 0), conversations: Int(items[1].integer ?? 0),
            deadLetters: Int(items[2].integer ?? 0), oldestWaitSeconds: Double(items[3].integer ?? 0) / 1000)
    }

    private static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next(), radix: 36) + String(generator.next(), radix: 36)
    }
}

private func format3(_ value: Double) -> String {
    let millis = Int((value * 1000).rounded())
    let fraction = String(millis % 1000)
    return "\(millis / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
}

/// The Lua scripts; each runs atomically on the server and reads the time from Redis itself (`TIME`; Redis 5+
/// replicates a script's effects, not the script, so this is safe with replicas and the AOF).
enum Scripts {
    /// Lua that sets `now` to Redis's clock in milliseconds.
    private static let now = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        """

    // KEYS: seen, conversation list, sched, depth, wake, since, metrics. ARGV: payload, conversation, dedupe ttl
    // ('' = none), metrics route ('' = not counted).
    static let enqueue = RedisScript(
        """
        if ARGV[3] ~= '' then
          if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[3]) then
            if ARGV[4] ~= '' then redis.call('HINCRBY', KEYS[7], ARGV[4] .. ':duplicate', 1) end
            return 0
          end
        end
        \(now)
        redis.call('RPUSH', KEYS[2], ARGV[1])
        redis.call('INCR', KEYS[4])
        redis.call('ZADD', KEYS[3], 'NX', now, ARGV[2])
        redis.call('ZADD', KEYS[6], 'NX', now, ARGV[2])
        redis.call('LPUSH', KEYS[5], '1')
        redis.call('LTRIM', KEYS[5], 0, 63)
        if ARGV[4] ~= '' then redis.call('HINCRBY', KEYS[7], ARGV[4] .. ':queued', 1) end
        return 1
        """)

    // KEYS: sched, attempts, owner, stalls. ARGV: lease ms, token, prefix, max conversations, workers sharing the
    // queue (each takes ceil(due / workers), at most the max).
    // Replies {1, conversation, message, attempt, ...} for each claimed conversation; {2} when every due
    // conversation had an empty list (cleaned up: claim again); {0[, ms until the next is due]} when nothing is due.
    static let claim = RedisScript(
        """
        \(now)
        local limit = tonumber(ARGV[4])
        local workers = tonumber(ARGV[5])
        if limit > 1 and workers > 1 then
          local dueCount = redis.call('ZCOUNT', KEYS[1], '-inf', now)
          limit = math.max(1, math.min(limit, math.ceil(dueCount / workers)))
        end
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
        if #due == 0 then
          local nextDue = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
          if nextDue[2] then return {0, math.max(0, tonumber(nextDue[2]) - now)} end
          return {0}
        end
        local claimed = {1}
        local leaseUntil = now + tonumber(ARGV[1])
        for _, conversation in ipairs(due) do
          local message = redis.call('LINDEX', ARGV[3] .. 'c:' .. conversation, 0)
          if message then
            local attempt = redis.call('HINCRBY', KEYS[2], conversation, 1)
            redis.call('ZADD', KEYS[1], leaseUntil, conversation)
            redis.call('HSET', KEYS[3], conversation, ARGV[2])
            claimed[#claimed + 1] = conversation
            claimed[#claimed + 1] = message
            claimed[#claimed + 1] = attempt
          else
            redis.call('ZREM', KEYS[1], conversation)
            redis.call('ZREM', ARGV[3] .. 'since', conversation)
            redis.call('HDEL', KEYS[2], conversation)
            redis.call('HDEL', KEYS[3], conversation)
            redis.call('HDEL', KEYS[4], conversation)
          end
        end
        if #claimed == 1 then return {2} end
        return claimed
        """)

    /// Lua shared by `acknowledge` and `deadLetter`: drops the conversation's head message and its claim, then
    /// makes the conversation due at once (waking a drainer) if more messages wait, else unschedules it.
    /// KEYS[1] sched, [2] attempts, [3] owner, [4] depth; the arguments name Lua expressions.
    private static func removeHead(conversation: String, prefix: String, wakeKey: String, stallsKey: String) -> String {
        """
        local list = \(prefix) .. 'c:' .. \(conversation)
        redis.call('LPOP', list)
        redis.call('DECR', KEYS[4])
        redis.call('HDEL', KEYS[2], \(conversation))
        redis.call('HDEL', KEYS[3], \(conversation))
        redis.call('HDEL', \(stallsKey), \(conversation))
        if redis.call('LLEN', list) > 0 then
          \(now)
          redis.call('ZADD', KEYS[1], now, \(conversation))
          redis.call('ZADD', \(prefix) .. 'since', now, \(conversation))
          redis.call('LPUSH', \(wakeKey), '1')
          redis.call('LTRIM', \(wakeKey), 0, 63)
        else
          redis.call('ZREM', KEYS[1], \(conversation))
          redis.call('ZREM', \(prefix) .. 'since', \(conversation))
        end
        """
    }

    /// Lua that runs `body` for each (conversation, token) pair of ARGV from `firstPair` on whose lease the
    /// token still holds (`owner` names the owner hash), and replies one 1 (done) or 0 (lease lost) per pair.
    private static func forEachOwned(owner: String, firstPair: Int, _ body: String) -> String {
        """
        local results = {}
        for index = \(firstPair), #ARGV, 2 do
          local conversation, token = ARGV[index], ARGV[index + 1]
          if redis.call('HGET', \(owner), conversation) == token then
            \(body)
            results[#results + 1] = 1
          else
            results[#results + 1] = 0
          end
        end
        return results
        """
    }

    // KEYS: sched, attempts, owner, depth, wake, stalls. ARGV: prefix, then conversation, token pairs.
    static let acknowledge = RedisScript(
        forEachOwned(
            owner: "KEYS[3]", firstPair: 2,
            """
            local prefix = ARGV[1]
            \(removeHead(conversation: "conversation", prefix: "prefix", wakeKey: "KEYS[5]", stallsKey: "KEYS[6]"))
            """))

    // KEYS: sched, owner. ARGV: conversation, token, delay ms.
    static let retry = RedisScript(
        """
        if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
        \(now)
        redis.call('HDEL', KEYS[2], ARGV[1])
        redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
        return 1
        """)

    // KEYS: sched, owner, attempts, stalls. ARGV: conversation, token, backoff ms, max backoff ms.
    // Gives the delivery back (attempts - 1) and waits backoff * 2^(stalls - 1), capped; replies the wait in ms,
    // or -1 when the lease was lost.
    static let postpone = RedisScript(
        """
        if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return -1 end
        \(now)
        local stalls = redis.call('HINCRBY', KEYS[4], ARGV[1], 1)
        if tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0') > 0 then redis.call('HINCRBY', KEYS[3], ARGV[1], -1) end
        local wait = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ math.min(stalls - 1, 30))
        wait = math.floor(wait)
        redis.call('HDEL', KEYS[2], ARGV[1])
        redis.call('ZADD', KEYS[1], now + wait, ARGV[1])
        return wait
        """)

    // KEYS: sched, attempts, owner, depth, dead, wake, stalls. ARGV: conversation, token, prefix, record.
    static let deadLetter = RedisScript(
        """
        if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
        redis.call('RPUSH', KEYS[5], ARGV[4])
        \(removeHead(conversation: "ARGV[1]", prefix: "ARGV[3]", wakeKey: "KEYS[6]", stallsKey: "KEYS[7]"))
        return 1
        """)

    // KEYS: sched, owner. ARGV: lease ms, then conversation, token pairs.
    static let extend = RedisScript(
        forEachOwned(
            owner: "KEYS[2]", firstPair: 2,
            """
            \(now)
            redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), conversation)
            """))

    // KEYS: sched, depth, dead. Replies depth, scheduled conversations, dead letters, ms the oldest due one waited.
    static let figures = RedisScript(
        """
        \(now)
        local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        local waited = 0
        if oldest[2] then waited = math.max(0, now - tonumber(oldest[2])) end
        return {tonumber(redis.call('GET', KEYS[2]) or '0'), redis.call('ZCARD', KEYS[1]), redis.call('LLEN', KEYS[3]), waited}
        """)

    // KEYS: dead, conversation list, sched, attempts, owner, depth, wake, stalls, since. ARGV: the dead-letter record,
    // its payload, its conversation. Moves one dead letter to the front of its conversation: behind the head when a
    // worker holds the conversation now (the head is what that worker will acknowledge), else first and due at once.
    static let replay = RedisScript(
        """
        if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
        redis.call('INCR', KEYS[6])
        \(now)
        redis.call('ZADD', KEYS[9], 'NX', now, ARGV[3])
        if redis.call('HEXISTS', KEYS[5], ARGV[3]) == 1 then
          local head = redis.call('LPOP', KEYS[2])
          redis.call('LPUSH', KEYS[2], ARGV[2])
          if head then redis.call('LPUSH', KEYS[2], head) end
          return 1
        end
        redis.call('LPUSH', KEYS[2], ARGV[2])
        redis.call('HDEL', KEYS[4], ARGV[3])
        redis.call('HDEL', KEYS[8], ARGV[3])
        redis.call('ZADD', KEYS[3], now, ARGV[3])
        redis.call('LPUSH', KEYS[7], '1')
        redis.call('LTRIM', KEYS[7], 0, 63)
        return 1
        """)

    // KEYS: dead. ARGV: age in seconds, how many to keep, '1' for a dry run. The list is in the order letters died
    // (RPUSH), so the expired ones and the excess are a prefix: counted in pages of 100, then cut with one LTRIM.
    static let pruneDeadLetters = RedisScript(
        """
        local time = redis.call('TIME')
        local cutoff = tonumber(time[1]) + tonumber(time[2]) / 1000000 - tonumber(ARGV[1])
        local length = redis.call('LLEN', KEYS[1])
        local count = math.max(0, length - tonumber(ARGV[2]))
        local expired = true
        while expired and count < length do
          local page = redis.call('LRANGE', KEYS[1], count, count + 99)
          for _, raw in ipairs(page) do
            local ok, letter = pcall(cjson.decode, raw)
            local failedAt = ok and type(letter) == 'table' and tonumber(letter['failedAt'])
            if not failedAt or failedAt >= cutoff then expired = false break end
            count = count + 1
          end
        end
        if ARGV[3] ~= '1' and count > 0 then redis.call('LTRIM', KEYS[1], count, -1) end
        return count
        """)
}
