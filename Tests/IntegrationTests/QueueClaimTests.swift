import Platform
import Redis
import TestSupport
import Testing

/// How many conversations a worker claims at once, against the stack's real Redis (each test on a queue of its own):
/// its share of what is due, so a small backlog is spread over the workers and only a large one fills whole batches.
@Suite("Queue claims", .stack)
struct QueueClaimTests {
    /// A fresh queue with one message in each of `conversations` conversations.
    private static func queue(withConversations conversations: Int) throws -> (InboundQueue, LazyRedis) {
        let queue = InboundQueue(name: "it-claims-" + TestStack.randomHex(10))
        let redis = LazyRedis(try TestStack.redisConfiguration())
        try redis.with { connection in
            for index in 0..<conversations {
                try queue.enqueue("message \(index)", conversation: "c\(index)", dedupeID: nil, dedupeSeconds: 0, on: connection)
            }
        }
        return (queue, redis)
    }

    private static func claimed(_ result: InboundQueue.ClaimResult) -> [InboundQueue.Delivery] {
        if case .deliveries(let deliveries) = result { return deliveries }
        return []
    }

    @Test func aSmallBacklogIsSharedOverTheWorkers() throws {
        let (queue, redis) = try Self.queue(withConversations: 10)
        let connection = try redis.get()
        // 10 due, 5 workers: 2 each, not all 10 for the first worker while four idle.
        let first = Self.claimed(try queue.claim(upTo: 16, sharedBy: 5, leaseSeconds: 30, on: connection))
        #expect(first.count == 2)
        // The next worker's share of the 8 still due (with the first's acknowledged): ceil(8 / 5).
        let (acknowledged, next) = try queue.acknowledgeAndClaim(first, upTo: 16, sharedBy: 5, leaseSeconds: 30, on: connection)
        #expect(acknowledged == [true, true])
        #expect(Self.claimed(next).count == 2)
        // Six due and fifty workers: one (never none).
        let alone = Self.claimed(try queue.claim(upTo: 16, sharedBy: 50, leaseSeconds: 30, on: connection))
        #expect(alone.count == 1)
        // A worker alone takes everything due, up to its batch.
        let rest = Self.claimed(try queue.claim(upTo: 16, sharedBy: 1, leaseSeconds: 30, on: connection))
        #expect(rest.count == 5)
        #expect(Set((Self.claimed(next) + alone + rest).map(\.conversation)).count == 8)
    }

    @Test func aLargeBacklogFillsWholeBatches() throws {
        let (queue, redis) = try Self.queue(withConversations: 100)
        let connection = try redis.get()
        // 100 due, 5 workers: a share of 20 is more than a batch.
        #expect(Self.claimed(try queue.claim(upTo: 16, sharedBy: 5, leaseSeconds: 30, on: connection)).count == 16)
        #expect(Self.claimed(try queue.claim(upTo: 16, sharedBy: 5, leaseSeconds: 30, on: connection)).count == 16)
    }
}
