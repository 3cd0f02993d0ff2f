import Foundation
import Logging
import Platform
import Postgres
import Redis
import Storage
import TestSupport
import Testing

/// The inbound queue under the faults production has, against the stack's real Redis (each test on a queue of its
/// own): outages that must not spend a message's attempts, a host whose clock is wrong, dead-letter replay.
@Suite("Queue faults", .stack)
struct QueueFaultTests {
    static let logger = Logger(label: "it.queue-faults") { _ in SwiftLogNoOpLogHandler() }

    /// A fresh queue and the stack's queue settings with short delays (3 attempts, as in production).
    private static func fixture(lease: Double = 30) throws -> (InboundQueue, AppConfig.Queue, LazyRedis) {
        var settings = try AppConfig(environment: TestStack.environment).queue
        settings.leaseSeconds = lease
        settings.maxAttempts = 3
        settings.backoffSeconds = 0.05
        settings.outageBackoffMaxSeconds = 0.2
        return (InboundQueue(name: "it-faults-" + TestStack.randomHex(10)), settings, LazyRedis(try TestStack.redisConfiguration()))
    }

    /// Appends `texts` to conversation `c1`, in order.
    private static func enqueue(_ texts: [String], on queue: InboundQueue, _ connection: RedisConnection) throws {
        for text in texts { try queue.enqueue(text, conversation: "c1", dedupeID: nil, dedupeSeconds: 0, on: connection) }
    }

    /// Item 1: PostgreSQL unreachable for longer than the whole retry budget (here 8 failures in a row against
    /// 3 attempts) leaves the message waiting, not dead: once the database is back it is handled, the
    /// conversation's later message after it, and nothing is dead-lettered.
    @Test func anOutageLongerThanTheRetryBudgetDeadLettersNothing() throws {
        let (queue, settings, redis) = try Self.fixture()
        let connection = try redis.get()
        try Self.enqueue(["first", "second"], on: queue, connection)
        var failures = 0
        var handled: [String] = []
        let stop = StopFlag()
        QueueWorker(queue: queue, settings: settings, logger: Self.logger, isOutage: Outage.isOutage)
            .run(redis: redis, stop: stop, deadline: monotonicSeconds() + 20) { delivery, _ in
                if failures < 8 {
                    failures += 1
                    throw PostgresError(code: .connectionFailed, message: "could not connect to server")
                }
                handled.append(delivery.payload)
                if handled.count == 2 { stop.set() }
            }
        #expect(failures == 8)
        #expect(handled == ["first", "second"], "handled in order once PostgreSQL answered again")
        #expect(try queue.deadLetters(on: connection).isEmpty, "an outage is not the message's fault")
        #expect(try queue.depth(on: connection) == 0)
    }

    /// The other kind still dead-letters: a failure about the message itself spends its 3 attempts.
    @Test func aFailureOfTheMessageItselfStillEndsInTheDeadLetters() throws {
        let (queue, settings, redis) = try Self.fixture()
        let connection = try redis.get()
        try Self.enqueue(["bad", "good"], on: queue, connection)
        var deliveries = 0
        var handled: [String] = []
        let stop = StopFlag()
        QueueWorker(queue: queue, settings: settings, logger: Self.logger, isOutage: Outage.isOutage)
            .run(redis: redis, stop: stop, deadline: monotonicSeconds() + 10) { delivery, _ in
                guard delivery.payload == "good" else {
                    deliveries += 1
                    throw PostgresError(code: .queryFailed, sqlState: .checkViolation, message: "violates check constraint")
                }
                handled.append(delivery.payload)
                stop.set()
            }
        #expect(deliveries == 3)
        #expect(handled == ["good"])
        #expect(try queue.deadLetters(on: connection).map(\.payload) == ["bad"])
    }

    /// Item 5: a drainer whose clock runs 40 s ahead cannot take a conversation another worker holds with a
    /// 30 s lease (leases and due times are Redis's clock, not the host's).
    @Test func aHostWhoseClockIsAheadCannotTakeALiveLease() throws {
        let (queue, settings, redis) = try Self.fixture(lease: 30)
        let connection = try redis.get()
        try Self.enqueue(["hello"], on: queue, connection)
        guard case .deliveries(let held) = try queue.claim(upTo: 1, leaseSeconds: 30, on: connection) else {
            Issue.record("the first worker could not claim")
            return
        }
        #expect(held.map(\.payload) == ["hello"])
        let ahead = Clock { Clock.system.now() + 40 }
        var stolen: [String] = []
        QueueWorker(queue: queue, settings: settings, clock: ahead, logger: Self.logger, isOutage: Outage.isOutage)
            .run(redis: redis, stop: StopFlag(), deadline: monotonicSeconds() + 1.5) { delivery, _ in
                stolen.append(delivery.payload)
            }
        #expect(stolen.isEmpty, "the conversation is still leased to the first worker")
        #expect(try queue.acknowledge(held, on: connection) == [true], "the first worker still owns its lease")
    }

    /// Item 2: a replayed dead letter goes to the front of its conversation, ahead of the messages that arrived
    /// after it; two dead letters of one conversation keep their order; one whose conversation is being handled
    /// right now goes right after the message in hand.
    @Test func aReplayedDeadLetterRunsBeforeNewerMessagesOfItsConversation() throws {
        let (queue, settings, redis) = try Self.fixture()
        let connection = try redis.get()
        try Self.enqueue(["m1", "m2", "m3", "m4"], on: queue, connection)
        // m1 and m2 become dead letters (handled at the last attempt); m3 is in hand when they are replayed.
        for _ in 0..<2 {
            guard case .deliveries(let deliveries) = try queue.claim(upTo: 1, leaseSeconds: 30, on: connection) else {
                Issue.record("nothing to claim")
                return
            }
            #expect(try queue.deadLetter(deliveries[0], error: "test", now: 0, on: connection))
        }
        guard case .deliveries(let inHand) = try queue.claim(upTo: 1, leaseSeconds: 30, on: connection) else {
            Issue.record("m3 was not claimed")
            return
        }
        #expect(inHand.map(\.payload) == ["m3"])
        #expect(try queue.replayDeadLetters(on: connection) == 2)
        #expect(try queue.acknowledge(inHand, on: connection) == [true], "the replay did not disturb the message in hand")
        var order: [String] = []
        let stop = StopFlag()
        QueueWorker(queue: queue, settings: settings, logger: Self.logger)
            .run(redis: redis, stop: stop, deadline: monotonicSeconds() + 5) { delivery, _ in
                order.append(delivery.payload)
                if order.count == 3 { stop.set() }
            }
        #expect(order == ["m1", "m2", "m4"], "replayed letters first, in their order, then the newer message")
        #expect(try queue.deadLetters(on: connection).isEmpty)
        #expect(try queue.depth(on: connection) == 0)
    }
}
