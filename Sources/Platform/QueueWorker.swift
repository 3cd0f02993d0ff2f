public import Logging
import Redis

/// One drain worker: claims messages from a queue and runs them through `handle`, with the queue's
/// retry policy (exponential backoff, then dead letters) and lease extension for long steps.
public struct QueueWorker {
    public let queue: InboundQueue
    public let settings: AppConfig.Queue
    public let clock: Clock
    public let logger: Logger

    public init(queue: InboundQueue, settings: AppConfig.Queue, clock: Clock = .system, logger: Logger) {
        self.queue = queue
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    /// Works until `stop` is set or `deadline` (monotonic seconds) passes; a message in progress is finished first.
    /// - Parameter handle: runs one message; `extendLease` keeps the conversation claimed during slow sends.
    ///   Throwing schedules a retry (or a dead letter after the last attempt).
    public func run(
        redis: LazyRedis, stop: StopFlag, deadline: Double,
        handle: (_ delivery: InboundQueue.Delivery, _ extendLease: () -> Void) throws -> Void
    ) {
        // A handled message is acknowledged together with the next claim (one Redis round trip, one fsync wait).
        var handled: InboundQueue.Delivery?
        while !stop.isSet && monotonicSeconds() < deadline {
            do {
                let connection = try redis.get()
                let claimed: InboundQueue.ClaimResult
                if let delivery = handled {
                    handled = nil
                    let (acknowledged, next) = try self.queue.acknowledgeAndClaim(
                        delivery, leaseSeconds: self.settings.leaseSeconds, nowMilliseconds: self.clock.nowMilliseconds,
                        on: connection)
                    if !acknowledged { self.warnLeaseLost(delivery) }
                    claimed = next
                } else {
                    claimed = try self.queue.claim(
                        leaseSeconds: self.settings.leaseSeconds, nowMilliseconds: self.clock.nowMilliseconds, on: connection)
                }
                switch claimed {
                case .empty(let nextDue):
                    var wait = min(1.0, deadline - monotonicSeconds())
                    if let nextDue { wait = min(wait, Double(nextDue - self.clock.nowMilliseconds) / 1000) }
                    try self.queue.waitForWork(seconds: max(0.01, wait), on: connection)
                case .delivery(let delivery):
                    handled = try self.process(delivery, redis: redis, handle: handle)
                }
            } catch {
                self.logger.error("queue unavailable", metadata: ["queue": "\(self.queue.name)", "error": "\(error)"])
                redis.reset()
                sleepSeconds(0.5)
            }
        }
        if let delivery = handled {
            do {
                if try !self.queue.acknowledge(delivery, nowMilliseconds: self.clock.nowMilliseconds, on: try redis.get()) {
                    self.warnLeaseLost(delivery)
                }
            } catch {
                self.logger.error("acknowledgement failed; the message will be re-run idempotently after its lease", metadata: [
                    "queue": "\(self.queue.name)", "conversation": "\(delivery.conversation)", "error": "\(error)",
                ])
            }
        }
    }

    private func warnLeaseLost(_ delivery: InboundQueue.Delivery) {
        self.logger.warning("lease lost before acknowledgement; the message will be re-run idempotently", metadata: [
            "queue": "\(self.queue.name)", "conversation": "\(delivery.conversation)", "attempt": "\(delivery.attempt)",
        ])
    }

    private func process(
        _ delivery: InboundQueue.Delivery, redis: LazyRedis,
        handle: (InboundQueue.Delivery, () -> Void) throws -> Void
    ) throws -> InboundQueue.Delivery? {
        let metadata: Logger.Metadata = [
            "queue": "\(self.queue.name)", "conversation": "\(delivery.conversation)", "attempt": "\(delivery.attempt)",
        ]
        if delivery.attempt > self.settings.maxAttempts {
            // Earlier deliveries never came back: the worker died or overran its lease each time.
            let error = "gave up after \(delivery.attempt - 1) deliveries without an acknowledgement"
            try self.queue.deadLetter(delivery, error: error, now: self.clock.now(), on: try redis.get())
            self.logger.error("message dead-lettered", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return nil
        }
        // The lease was just taken (or pushed): a heartbeat within the first sixth of it changes nothing that
        // matters, so it is skipped; that spares the common step (one send right after the commit) a Redis
        // write, which is an fsync wait with `appendfsync always`. Later heartbeats extend as before, so a
        // lease is lost only if heartbeats stop for five sixths of it (25 s of the default 30 s).
        var extendedAt = monotonicSeconds()
        let extendLease = {
            let now = monotonicSeconds()
            guard now - extendedAt >= self.settings.leaseSeconds / 6 else { return }
            let until = self.clock.nowMilliseconds + Int64(self.settings.leaseSeconds * 1000)
            if (try? self.queue.extendLease(delivery, untilMilliseconds: until, on: try redis.get())) != nil {
                extendedAt = now
            }
        }
        do {
            try handle(delivery, extendLease)
        } catch {
            let connection = try redis.get()
            if delivery.attempt >= self.settings.maxAttempts {
                try self.queue.deadLetter(delivery, error: String(describing: error), now: self.clock.now(), on: connection)
                self.logger.error("message dead-lettered", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            } else {
                let delay = self.settings.backoffSeconds * Double(1 << (delivery.attempt - 1))
                try self.queue.retry(delivery, delaySeconds: delay, nowMilliseconds: self.clock.nowMilliseconds, on: connection)
                self.logger.warning("message failed, will retry", metadata: metadata.merging(["error": "\(error)", "retry.in": "\(delay)"]) { $1 })
            }
            return nil
        }
        return delivery  // handled: the caller acknowledges it
    }
}
