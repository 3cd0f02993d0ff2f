public import Logging
import Redis

/// One drain worker: claims messages from a queue and runs them through `handle`, with the queue's
/// retry policy (exponential backoff, then dead letters) and lease extension for long steps.
///
/// Failures come in two kinds. One that `isOutage` recognises (PostgreSQL or Redis unreachable or restarting, a
/// serialization failure) is not the message's fault: the conversation waits (capped backoff) and no attempt is
/// spent, however long the outage lasts. Any other failure may be the message's own and counts toward its dead
/// letter.
public struct QueueWorker {
    public let queue: InboundQueue
    public let settings: AppConfig.Queue
    public let clock: Clock
    public let logger: Logger
    private let isOutage: (any Error) -> Bool

    /// - Parameter isOutage: whether a handler's error means a dependency is unavailable (see `Outage` in
    ///   Storage, which knows PostgreSQL's errors too); by default only Redis connection failures are.
    public init(
        queue: InboundQueue, settings: AppConfig.Queue, clock: Clock = .system, logger: Logger,
        isOutage: @escaping (any Error) -> Bool = QueueWorker.isRedisOutage
    ) {
        self.queue = queue
        self.settings = settings
        self.clock = clock
        self.logger = logger
        self.isOutage = isOutage
    }

    /// Redis being unreachable or unable to serve (the queue's own dependency).
    public static func isRedisOutage(_ error: any Error) -> Bool { (error as? RedisError)?.isTransient == true }

    /// Works until `stop` is set or `deadline` (monotonic seconds) passes; a message in progress is finished first.
    /// - Parameter handle: runs one message; `extendLease` keeps the conversation claimed during slow sends.
    ///   Throwing schedules a retry: after an outage, without spending an attempt; otherwise a dead letter after
    ///   the last attempt.
    public func run(
        redis: LazyRedis, stop: StopFlag, deadline: Double,
        handle: (_ delivery: InboundQueue.Delivery, _ extendLease: () -> Void) throws -> Void
    ) {
        withoutActuallyEscaping(handle) { handle in
            self.run(redis: redis, stop: stop, deadline: deadline, batchSize: 1) { deliveries, extendLeases in
                deliveries.map { delivery in Result { try handle(delivery, extendLeases) } }
            }
        }
    }

    /// Like `run(handle:)`, but claims up to `batchSize` conversations at a time (its share of those due, see
    /// `InboundQueue.claim(upTo:sharedBy:)`) and hands them over together, so a handler can share round trips and a
    /// transaction among them. Every conversation keeps its own lease, attempts, retries and dead letter.
    /// - Parameter workers: the workers of this process that run on the queue.
    /// - Parameter handleBatch: one result per delivery, in order; `extendLeases` extends every lease of the batch.
    public func run(
        redis: LazyRedis, stop: StopFlag, deadline: Double, batchSize: Int, workers: Int = 1,
        handleBatch: (_ deliveries: [InboundQueue.Delivery], _ extendLeases: () -> Void) -> [Result<Void, any Error>]
    ) {
        // Handled messages are acknowledged together with the next claim (one Redis round trip, one fsync wait).
        var handled: [InboundQueue.Delivery] = []
        while !stop.isSet && monotonicSeconds() < deadline {
            do {
                let connection = try redis.get()
                let claimed: InboundQueue.ClaimResult
                if !handled.isEmpty {
                    // Kept until Redis confirms: a handled message whose acknowledgement was lost to a Redis outage would
                    // come back after its lease and spend an attempt though nothing was wrong with it.
                    let (acknowledged, next) = try self.queue.acknowledgeAndClaim(
                        handled, upTo: batchSize, sharedBy: workers, leaseSeconds: self.settings.leaseSeconds, on: connection)
                    for (delivery, acknowledged) in zip(handled, acknowledged) where !acknowledged { self.warnLeaseLost(delivery) }
                    handled = []
                    claimed = next
                } else {
                    claimed = try self.queue.claim(
                        upTo: batchSize, sharedBy: workers, leaseSeconds: self.settings.leaseSeconds, on: connection)
                }
                switch claimed {
                case .empty(let nextDueIn):
                    var wait = min(1.0, deadline - monotonicSeconds())
                    if let nextDueIn { wait = min(wait, Double(nextDueIn) / 1000) }
                    try self.queue.waitForWork(seconds: max(0.01, wait), on: connection)
                case .deliveries(let deliveries):
                    handled = try self.process(deliveries, redis: redis, handleBatch: handleBatch)
                }
            } catch {
                self.logger.error("queue unavailable", metadata: ["queue": "\(self.queue.name)", "error": "\(error)"])
                redis.reset()
                sleepSeconds(0.5)
            }
        }
        if !handled.isEmpty {
            do {
                let acknowledged = try self.queue.acknowledge(handled, on: try redis.get())
                for (delivery, acknowledged) in zip(handled, acknowledged) where !acknowledged { self.warnLeaseLost(delivery) }
            } catch {
                self.logger.error(
                    "acknowledgement failed; the messages will be re-run idempotently after their lease",
                    metadata: [
                        "queue": "\(self.queue.name)", "conversations": "\(handled.map(\.conversation))", "error": "\(error)",
                    ])
            }
        }
    }

    private func countStep(_ result: String) {
        Metrics.shared.add(MetricCatalog.dialogSteps, [("bot", self.queue.name), ("result", result)])
    }

    private func warnLeaseLost(_ delivery: InboundQueue.Delivery) {
        self.logger.warning(
            "lease lost before acknowledgement; the message will be re-run idempotently",
            metadata: [
                "queue": "\(self.queue.name)", "conversation": "\(delivery.conversation)", "attempt": "\(delivery.attempt)",
            ])
    }

    private func metadata(_ delivery: InboundQueue.Delivery) -> Logger.Metadata {
        ["queue": "\(self.queue.name)", "conversation": "\(delivery.conversation)", "attempt": "\(delivery.attempt)"]
    }

    /// Runs a claimed batch; returns the deliveries that were handled (to acknowledge). Failed ones are retried
    /// later or dead-lettered here, one by one.
    private func process(
        _ claimed: [InboundQueue.Delivery], redis: LazyRedis,
        handleBatch: ([InboundQueue.Delivery], () -> Void) -> [Result<Void, any Error>]
    ) throws -> [InboundQueue.Delivery] {
        var deliveries: [InboundQueue.Delivery] = []
        for delivery in claimed {
            guard delivery.attempt > self.settings.maxAttempts else {
                deliveries.append(delivery)
                continue
            }
            // Earlier deliveries never came back: the worker died or overran its lease each time.
            let error = "gave up after \(delivery.attempt - 1) deliveries without an acknowledgement"
            try self.queue.deadLetter(delivery, error: error, now: self.clock.now(), on: try redis.get())
            self.countStep("dead")
            self.logger.error("message dead-lettered", metadata: self.metadata(delivery).merging(["error": "\(error)"]) { $1 })
        }
        guard !deliveries.isEmpty else { return [] }
        // The leases were just taken (or pushed): a heartbeat within the first sixth of them changes nothing that
        // matters, so it is skipped; that spares the common step (one send right after the commit) a Redis
        // write, which is an fsync wait with `appendfsync always`. Later heartbeats extend as before, so a
        // lease is lost only if heartbeats stop for five sixths of it (25 s of the default 30 s).
        var extendedAt = monotonicSeconds()
        let extendLeases = {
            let now = monotonicSeconds()
            guard now - extendedAt >= self.settings.leaseSeconds / 6 else { return }
            if (try? self.queue.extendLeases(deliveries, leaseSeconds: self.settings.leaseSeconds, on: try redis.get())) != nil {
                extendedAt = now
            }
        }
        let results = handleBatch(deliveries, extendLeases)
        precondition(results.count == deliveries.count, "handleBatch must return one result per delivery")
        var handled: [InboundQueue.Delivery] = []
        for (delivery, result) in zip(deliveries, results) {
            guard case .failure(let error) = result else {
                handled.append(delivery)
                self.countStep("done")
                continue
            }
            do {
                try self.reschedule(delivery, after: error, on: try redis.get())
            } catch {
                // Redis went away too: the message comes back when its lease ends. The handled ones are still returned.
                self.logger.error(
                    "could not reschedule a failed message; it returns after its lease",
                    metadata: self.metadata(delivery).merging([
                        "error": "\(error)"
                    ]) { $1 })
                redis.reset()
            }
        }
        return handled
    }

    /// Schedules a failed delivery again (outage: no attempt spent; otherwise backoff) or dead-letters it.
    private func reschedule(_ delivery: InboundQueue.Delivery, after error: any Error, on connection: RedisConnection) throws {
        let metadata = self.metadata(delivery)
        if self.isOutage(error) {
            let wait = try self.queue.postpone(
                delivery, backoffSeconds: max(self.settings.backoffSeconds, 0.05),
                maxBackoffSeconds: self.settings.outageBackoffMaxSeconds, on: connection)
            self.countStep("postponed")
            self.logger.warning(
                "dependency unavailable; the conversation waits (no attempt spent)",
                metadata: metadata.merging([
                    "error": "\(error)", "retry.in": "\(wait.map { "\($0)" } ?? "lease lost")",
                ]) { $1 })
        } else if delivery.attempt >= self.settings.maxAttempts {
            try self.queue.deadLetter(delivery, error: String(describing: error), now: self.clock.now(), on: connection)
            self.countStep("dead")
            self.logger.error("message dead-lettered", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        } else {
            let delay = self.settings.backoffSeconds * Double(1 << (delivery.attempt - 1))
            try self.queue.retry(delivery, delaySeconds: delay, on: connection)
            self.countStep("retried")
            self.logger.warning(
                "message failed, will retry", metadata: metadata.merging(["error": "\(error)", "retry.in": "\(delay)"]) { $1 })
        }
    }
}
