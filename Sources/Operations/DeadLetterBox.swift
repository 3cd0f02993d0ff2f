import Crypto
import FoundationEssentials
public import Platform
public import Postgres
public import Redis
import Storage

/// Dead letters of every kind — inbound messages (each queue's Redis dead list), outbound sends (`outbox` rows) and
/// delayed jobs (`scheduled_jobs` rows) — listed with stable ids and replayed or discarded one at a time.
///
/// Ids: `inbound:<queue>:<16 hex of SHA-256 of the stored record>` (the record never changes while it is dead, and
/// the hash needs no extra bookkeeping in the queue), `outbox:<row id>`, `job:<job id>`. Every change is one atomic
/// step that only matches a letter still dead (a Lua script removing exactly that record; an `UPDATE … WHERE status =
/// 'dead'`), so two operators pressing replay on one letter at once replay it once; the other one is told it is gone.
public struct DeadLetterBox: Sendable {
    public enum Kind: String, Codable, Sendable { case inbound, outbox, job }

    public struct Letter: Codable, Sendable, Equatable {
        public let id: String
        public let kind: Kind
        /// The queue (inbound), the channel (outbox) or the job kind.
        public let origin: String
        public let conversation: String
        public let attempts: Int
        public let error: String
        /// When it failed: the inbound record's time; an outbox row's last planned attempt; a job's end (or due time).
        public let failedAt: Double?
        public let payload: String
    }

    /// What happened (or, with a dry run, would happen) to one id.
    public struct Outcome: Codable, Sendable, Equatable {
        public enum Result: String, Codable, Sendable {
            case replayed, discarded, wouldReplay = "would_replay", wouldDiscard = "would_discard", notFound = "not_found"
        }
        public let id: String
        public let result: Result
    }

    public struct UnknownID: Error, CustomStringConvertible, Sendable {
        public let id: String
        public var description: String { "not a dead letter id: \(self.id) (expected inbound:QUEUE:HASH, outbox:N or job:ID)" }
    }

    public let queues: [InboundQueue]

    public init(queues: [InboundQueue]) { self.queues = queues }

    /// Every dead letter: inbound per queue (oldest first), then outbox rows and jobs by id.
    public func list(redis: RedisConnection, postgres: PostgresConnection) throws -> [Letter] {
        var letters: [Letter] = []
        for queue in self.queues {
            for record in try queue.deadLetterRecords(on: redis) {
                letters.append(try Self.inbound(record, queue: queue))
            }
        }
        letters += try postgres.query(
            """
            SELECT id, channel, conversation, attempts, coalesce(last_error, '') AS error, payload::text AS payload,
                   extract(epoch FROM next_attempt_at)::float8 AS failed_at
            FROM outbox WHERE status = 'dead' ORDER BY id
            """
        ).map { row in
            Letter(
                id: "outbox:" + (try row.decode("id") as String), kind: .outbox, origin: try row.decode("channel"),
                conversation: try row.decode("conversation"), attempts: try row.decode("attempts"),
                error: try row.decode("error"), failedAt: try row.decodeIfPresent("failed_at"), payload: try row.decode("payload"))
        }
        letters += try postgres.query(
            """
            SELECT id, kind, attempts, coalesce(last_error, '') AS error, payload::text AS payload,
                   extract(epoch FROM coalesce(finished_at, run_at))::float8 AS failed_at
            FROM scheduled_jobs WHERE status = 'dead' ORDER BY id
            """
        ).map { row in
            Letter(
                id: "job:" + (try row.decode("id") as String), kind: .job, origin: try row.decode("kind"), conversation: "",
                attempts: try row.decode("attempts"), error: try row.decode("error"),
                failedAt: try row.decodeIfPresent("failed_at"), payload: try row.decode("payload"))
        }
        return letters
    }

    /// One dead letter by id, or nil when there is none (any more).
    public func show(_ id: String, redis: RedisConnection, postgres: PostgresConnection) throws -> Letter? {
        let target = try Target(id)
        switch target {
        case .inbound(let queueName, _):
            guard let queue = self.queue(queueName) else { return nil }
            return try self.record(for: target, in: queue, redis: redis).map { try Self.inbound($0, queue: queue) }
        case .outbox, .job:
            return try self.list(redis: redis, postgres: postgres).first { $0.id == id }
        }
    }

    /// What an operator does to a dead letter: replay it (an inbound message to the front of its conversation, an outbox
    /// row or a job due now with its attempts reset), or discard it (an inbound letter dropped, an outbox row marked
    /// `discarded`, a job cancelled; both keep their error).
    public enum Action: Sendable { case replay, discard }

    /// Applies `action` to the letters `ids` (each at most once; unknown or gone ones are reported `not_found`).
    public func apply(
        _ action: Action, to ids: [String], dryRun: Bool, now: Double, redis: RedisConnection, postgres: PostgresConnection
    ) throws -> [Outcome] {
        let (done, wouldBe): (Outcome.Result, Outcome.Result) = action == .replay ? (.replayed, .wouldReplay) : (.discarded, .wouldDiscard)
        return try self.each(ids, dryRun: dryRun, done: done, wouldBe: wouldBe, redis: redis, postgres: postgres) { target, record in
            switch (target, action) {
            case (.inbound(let queue, _), .replay): try self.queue(queue)!.replayDeadLetter(record: record!, on: redis)
            case (.inbound(let queue, _), .discard): try self.queue(queue)!.discardDeadLetter(record: record!, on: redis)
            case (.outbox(let row), _):
                !(try postgres.query(
                    action == .replay
                        ? "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now() WHERE id = $1 AND status = 'dead' RETURNING id"
                        : "UPDATE outbox SET status = 'discarded', last_error = coalesce(last_error || ' ', '') || '(discarded by an operator)' WHERE id = $1 AND status = 'dead' RETURNING id",
                    [String(row)]
                ).isEmpty)
            case (.job(let job), .replay): !(try DelayedJobs().replayDead(ids: [job], now: now, on: postgres).isEmpty)
            case (.job(let job), .discard): !(try DelayedJobs().discardDead(ids: [job], now: now, on: postgres).isEmpty)
            }
        }
    }

    /// Replays every dead letter, oldest inbound letter of a conversation first (see `InboundQueue.replayDeadLetters`).
    public func replayAll(dryRun: Bool, now: Double, redis: RedisConnection, postgres: PostgresConnection) throws -> [Outcome] {
        let letters = try self.list(redis: redis, postgres: postgres)
        // Newest inbound first: each replay goes to the front of its conversation, so the oldest ends up first.
        let inbound = letters.filter { $0.kind == .inbound }.reversed().map(\.id)
        let others = letters.filter { $0.kind != .inbound }.map(\.id)
        return try self.apply(.replay, to: Array(inbound) + others, dryRun: dryRun, now: now, redis: redis, postgres: postgres)
    }

    // MARK: -

    enum Target: Equatable {
        case inbound(queue: String, hash: String)
        case outbox(Int64)
        case job(String)

        init(_ id: String) throws(UnknownID) {
            let parts = id.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            switch parts.first {
            case "inbound" where parts.count == 3 && parts[2].count == 16: self = .inbound(queue: parts[1], hash: parts[2])
            case "outbox" where parts.count == 2:
                guard let row = Int64(parts[1]), row > 0 else { throw UnknownID(id: id) }
                self = .outbox(row)
            case "job" where parts.count >= 2 && !id.dropFirst(4).isEmpty: self = .job(String(id.dropFirst(4)))
            default: throw UnknownID(id: id)
            }
        }
    }

    private func queue(_ name: String) -> InboundQueue? { self.queues.first { $0.name == name } }

    static func hash(_ record: String) -> String {
        OperationsFormat.hex(Array(SHA256.hash(data: Array(record.utf8)).prefix(8)))
    }

    private static func inbound(_ record: String, queue: InboundQueue) throws -> Letter {
        let letter = try JSONDecoder().decode(InboundQueue.DeadLetter.self, from: Data(record.utf8))
        return Letter(
            id: "inbound:\(queue.name):\(Self.hash(record))", kind: .inbound, origin: queue.name,
            conversation: letter.conversation, attempts: letter.attempts, error: letter.error, failedAt: letter.failedAt,
            payload: letter.payload)
    }

    private func record(for target: Target, in queue: InboundQueue, redis: RedisConnection) throws -> String? {
        guard case .inbound(_, let hash) = target else { return nil }
        return try queue.deadLetterRecords(on: redis).first { Self.hash($0) == hash }
    }

    /// Validates every id first (a typo changes nothing), then acts on each once, in the order given.
    private func each(
        _ ids: [String], dryRun: Bool, done: Outcome.Result, wouldBe: Outcome.Result, redis: RedisConnection,
        postgres: PostgresConnection, _ act: (Target, String?) throws -> Bool
    ) throws -> [Outcome] {
        var seen = Set<String>()
        let targets = try ids.filter { seen.insert($0).inserted }.map { id in (id, try Target(id)) }
        return try targets.map { id, target in
            var record: String?
            if case .inbound(let name, _) = target {
                guard let queue = self.queue(name) else { return Outcome(id: id, result: .notFound) }
                record = try self.record(for: target, in: queue, redis: redis)
                if record == nil { return Outcome(id: id, result: .notFound) }
            }
            if dryRun {
                let exists = try record != nil || self.show(id, redis: redis, postgres: postgres) != nil
                return Outcome(id: id, result: exists ? wouldBe : .notFound)
            }
            return Outcome(id: id, result: try act(target, record) ? done : .notFound)
        }
    }
}
