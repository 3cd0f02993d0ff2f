import Edge
import Platform
import Redis
import Testing

/// The shared sliding-window limiter against the stack's Redis, with time as an input.
@Suite("Sliding-window rate limiter", .stack)
struct RateLimiterTests {
    @Test func theWindowAdmitsTheLimitThenNamesTheWait() throws {
        let redis = try TestStack.redis()
        let limiter = SlidingWindowLimiter(name: "test-\(TestStack.randomHex())", limit: 2, windowSeconds: 1)
        let t0: Int64 = 1_900_000_000_000
        #expect(try limiter.tryAcquire(nowMilliseconds: t0, on: redis) == 0)
        #expect(try limiter.tryAcquire(nowMilliseconds: t0 + 100, on: redis) == 0)
        #expect(try limiter.tryAcquire(nowMilliseconds: t0 + 200, on: redis) == 0.8, "the oldest slot frees at t0 + 1 s")
        #expect(try limiter.tryAcquire(nowMilliseconds: t0 + 1001, on: redis) == 0)
    }

    @Test func aClockThatMovedBackIsNotBlockedByFutureStamps() throws {
        let redis = try TestStack.redis()
        let limiter = SlidingWindowLimiter(name: "test-\(TestStack.randomHex())", limit: 1, windowSeconds: 1)
        let later: Int64 = 1_900_000_000_000 + 86_400_000
        #expect(try limiter.tryAcquire(nowMilliseconds: later, on: redis) == 0)
        #expect(try limiter.tryAcquire(nowMilliseconds: 1_900_000_000_000, on: redis) == 0)
    }

    @Test func aPauseStopsEveryCallerUntilItEnds() throws {
        let redis = try TestStack.redis()
        let limiter = SlidingWindowLimiter(name: "test-\(TestStack.randomHex())", limit: 100, windowSeconds: 1)
        try limiter.pause(seconds: 5, on: redis)
        let wait = try limiter.tryAcquire(nowMilliseconds: 1_900_000_000_000, on: redis)
        #expect(wait > 4 && wait <= 5)
    }
}
