import Foundation
import Platform
import Redis
import TestSupport
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

    /// Windows live only in memory: with `appendfsync always` an AOF write would make every send wait for an
    /// fsync. The 429 pause is still persisted, and so is everything the queue writes (checked on the same AOF).
    @Test func windowsAreNotWrittenToTheAppendOnlyFileButThePauseIs() throws {
        let redis = try TestStack.redis()
        let name = "aof-\(TestStack.randomHex())"
        let limiter = SlidingWindowLimiter(name: name, limit: 5, windowSeconds: 60)
        #expect(try limiter.tryAcquire(nowMilliseconds: 1_900_000_000_000, on: redis) == 0)
        let paused = SlidingWindowLimiter(name: name + "-paused", limit: 5, windowSeconds: 60)
        try paused.pause(seconds: 30, on: redis)
        #expect(try redis.command(["EXISTS", limiter.key]).integer == 1, "the window is in Redis")

        let directory = try TestStack.stackDirectory() + "/redis/appendonlydir"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".incr.aof") }
        #expect(!files.isEmpty, "the stack's Redis writes an AOF")
        let aof = try files.map { try String(contentsOfFile: directory + "/" + $0, encoding: .isoLatin1) }.joined()
        // Booleans first, so a failure does not print the whole file.
        let windowPersisted = aof.contains(limiter.key)
        let pausePersisted = aof.contains(paused.key + ":pause")
        #expect(!windowPersisted, "the window's writes are not in the AOF")
        #expect(pausePersisted, "the pause is")
    }
}
