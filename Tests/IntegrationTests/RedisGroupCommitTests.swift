import Foundation
import Redis
import TestSupport
import Testing

/// The responder's threads share one pipelined Redis connection (`RedisGroupCommit`): concurrent scripts go out in
/// one batch. Each caller must still get its own reply, only after its own script ran, and an error or an outage
/// must reach exactly the callers it concerns.
@Suite("Redis group commit: one pipelined connection shared by threads", .stack)
struct RedisGroupCommitTests {
    /// Appends ARGV[1] to KEYS[1] and answers it; ARGV[2] milliseconds of busy work first (to let a batch form
    /// behind it: Redis runs one script at a time), or an error reply when ARGV[1] is "fail".
    static let append = RedisScript(
        """
        if ARGV[1] == 'fail' then return redis.error_reply('ERR asked to fail') end
        local deadline = tonumber(redis.call('TIME')[1]) * 1000000 + tonumber(redis.call('TIME')[2]) + tonumber(ARGV[2]) * 1000
        while tonumber(redis.call('TIME')[1]) * 1000000 + tonumber(redis.call('TIME')[2]) < deadline do end
        redis.call('RPUSH', KEYS[1], ARGV[1])
        return ARGV[1]
        """)

    /// Runs `body(index)` on `count` threads at once and waits for all of them.
    static func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            Thread {
                body(index)
                group.leave()
            }.start()
        }
        group.wait()
    }

    final class Outcomes: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Int: Result<RedisValue, RedisError>] = [:]
        func set(_ index: Int, _ value: Result<RedisValue, RedisError>) { self.lock.withLock { self.values[index] = value } }
        var all: [Int: Result<RedisValue, RedisError>] { self.lock.withLock { self.values } }
    }

    @Test func concurrentCallsShareBatchesAndEachReturnsOnlyAfterItsOwnScriptRan() throws {
        let group = RedisGroupCommit(try TestStack.redisConfiguration())
        let key = TestStack.keyPrefix() + "appended"
        let check = try TestStack.redis()
        defer { _ = try? check.command(["DEL", key]) }
        let callers = 32
        let outcomes = Outcomes()
        let configuration = try TestStack.redisConfiguration()
        Self.concurrently(callers) { index in
            let value = "v\(index)"
            // The first caller's script is slow, so the others queue up behind its batch.
            let result = Result { () throws(RedisError) in
                try group.evaluate(Self.append, keys: [key], arguments: [value, index == 0 ? "50" : "0"])
            }
            // Acknowledged only after its own script ran: the value is in Redis when the call returns.
            let stored = (try? RedisConnection(configuration).command(["LPOS", key, value]))?.integer != nil
            outcomes.set(index, stored ? result : .failure(RedisError(code: .unexpectedReply, message: "not stored yet")))
        }
        for index in 0..<callers {
            #expect(try outcomes.all[index]?.get() == .bulk(Array("v\(index)".utf8)), "caller \(index)")
        }
        let list = try check.command(["LRANGE", key, "0", "-1"]).array?.compactMap(\.string) ?? []
        #expect(list.sorted() == (0..<callers).map { "v\($0)" }.sorted(), "each script ran exactly once")
        let statistics = group.statistics
        #expect(statistics.calls == callers)
        #expect(statistics.batches < callers, "calls that waited were sent together (\(statistics.batches) batches)")
    }

    @Test func anErrorReplyFailsOnlyItsOwnCall() throws {
        let group = RedisGroupCommit(try TestStack.redisConfiguration())
        let key = TestStack.keyPrefix() + "mixed"
        let check = try TestStack.redis()
        defer { _ = try? check.command(["DEL", key]) }
        let outcomes = Outcomes()
        Self.concurrently(12) { index in
            let value = index == 5 ? "fail" : "v\(index)"
            outcomes.set(
                index,
                Result { () throws(RedisError) in
                    try group.evaluate(Self.append, keys: [key], arguments: [value, index == 0 ? "50" : "0"])
                })
        }
        for (index, outcome) in outcomes.all {
            switch outcome {
            case .success(let value):
                #expect(index != 5)
                #expect(value == .bulk(Array("v\(index)".utf8)))
            case .failure(let error):
                #expect(index == 5, "caller \(index) failed: \(error.debugDescription)")
                #expect(error.code == .serverError && error.message.contains("asked to fail"))
            }
        }
        #expect(try check.command(["LLEN", key]).integer == 11)
    }

    @Test func everyWaitingCallFailsWhenRedisDiesAndADeadIdleConnectionIsReplaced() throws {
        // A private Redis that also drops idle clients after a second (the second half of the test).
        let redis = try RedisDurabilityTests.PrivateRedis(["--timeout", "1"])
        let group = RedisGroupCommit(redis.configuration)
        #expect(try group.evaluate(Self.append, keys: ["k"], arguments: ["first", "0"]) == .bulk(Array("first".utf8)))
        Thread.sleep(forTimeInterval: 2.5)  // Redis closed the idle connection meanwhile
        #expect(
            try group.evaluate(Self.append, keys: ["k"], arguments: ["after-idle", "0"]) == .bulk(Array("after-idle".utf8)),
            "the dead idle connection was replaced and the call sent again")

        redis.child.kill9()
        let outcomes = Outcomes()
        Self.concurrently(8) { index in
            outcomes.set(
                index,
                Result { () throws(RedisError) in
                    try group.evaluate(Self.append, keys: ["k"], arguments: ["v\(index)", "0"])
                })
        }
        #expect(outcomes.all.count == 8)
        for (index, outcome) in outcomes.all {
            guard case .failure(let error) = outcome else {
                Issue.record("caller \(index) was answered with Redis down")
                continue
            }
            #expect(error.isConnectionError)
        }
    }
}
