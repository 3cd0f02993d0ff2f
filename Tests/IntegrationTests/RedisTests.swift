import Foundation
import Redis
import TestSupport
import Testing

@Suite("Redis wrapper against the real server", .stack)
struct RedisTests {
    @Test func binarySafeBytesRoundTrip() throws {
        let redis = try TestStack.redis()
        let prefix = TestStack.keyPrefix()
        // NUL bytes, invalid UTF-8 (0xff, a lone continuation byte, a truncated sequence) and CR/LF.
        let value: [UInt8] = [0x00, 0x41, 0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x0d, 0x0a, 0xe2, 0x82, 0x00]
        let key = Array((prefix + "bin").utf8) + [0x00, 0xff]
        #expect(try redis.command([Array("SET".utf8), key, value]) == .status("OK"))
        #expect(try redis.command([Array("GET".utf8), key]) == .bulk(value))
        #expect(try redis.command([Array("STRLEN".utf8), key]) == .integer(Int64(value.count)))
        // An empty value is a zero-length bulk, not a null.
        try redis.command(["SET", prefix + "empty", ""])
        #expect(try redis.command(["GET", prefix + "empty"]) == .bulk([]))
        try redis.command(["DEL", prefix + "empty"])
        try redis.command([Array("DEL".utf8), key])
    }

    @Test func repliesAreTyped() throws {
        let redis = try TestStack.redis()
        let prefix = TestStack.keyPrefix()
        defer { _ = try? redis.command(["DEL", prefix + "n", prefix + "list", prefix + "text"]) }
        #expect(try redis.command(["PING"]) == .status("PONG"))
        #expect(try redis.command(["INCRBY", prefix + "n", "41"]) == .integer(41))
        #expect(try redis.command(["INCR", prefix + "n"]).integer == 42)
        #expect(try redis.command(["GET", prefix + "missing"]) == .null)
        #expect(try redis.command(["GET", prefix + "missing"]).isNull)
        #expect(try redis.command(["RPUSH", prefix + "list", "a", "b", "c"]) == .integer(3))
        let list = try redis.command(["LRANGE", prefix + "list", "0", "-1"])
        #expect(list == .array([.bulk(Array("a".utf8)), .bulk(Array("b".utf8)), .bulk(Array("c".utf8))]))
        #expect(list.array?.compactMap(\.string) == ["a", "b", "c"])
        #expect(try redis.command(["LRANGE", prefix + "none", "0", "-1"]) == .array([]))
        #expect(try redis.command(["SET", prefix + "text", "héllo"]) == .status("OK"))
        #expect(try redis.command(["GET", prefix + "text"]).string == "héllo")
        // A numeric bulk string reads as an integer, a status does not.
        #expect(try redis.command(["GET", prefix + "n"]) == .bulk(Array("42".utf8)))
        #expect(try redis.command(["GET", prefix + "n"]).integer == 42)
        #expect(RedisValue.status("OK").integer == nil)
    }

    @Test func errorReplyIsAServerError() throws {
        let redis = try TestStack.redis()
        let prefix = TestStack.keyPrefix()
        defer { _ = try? redis.command(["DEL", prefix + "s"]) }
        try redis.command(["SET", prefix + "s", "not a number"])
        do {
            try redis.command(["INCR", prefix + "s"])
            Issue.record("INCR of a non-integer did not throw")
        } catch {
            #expect(error.code == .serverError)
            #expect(error.message.contains("not an integer"))
            #expect(!error.isConnectionError)
            // The message (which can name keys) stays out of the plain description.
            #expect(String(describing: error) == "RedisError(serverError)")
        }
        do {
            try redis.command(["NOSUCHCOMMAND", "x"])
            Issue.record("an unknown command did not throw")
        } catch {
            #expect(error.code == .serverError)
        }
        do {
            try redis.command(["EVALSHA", String(repeating: "0", count: 40), "0"])
            Issue.record("EVALSHA of an unknown script did not throw")
        } catch {
            #expect(error.code == .scriptMissing)
        }
        // The connection is still good after error replies.
        #expect(try redis.command(["GET", prefix + "s"]).string == "not a number")
    }

    @Test func pipelineOfAHundredKeepsErrorsInPlace() throws {
        let redis = try TestStack.redis()
        let prefix = TestStack.keyPrefix()
        defer { _ = try? redis.command(["DEL", prefix + "counter", prefix + "text"]) }
        try redis.command(["SET", prefix + "text", "abc"])
        var commands: [[String]] = []
        for index in 0..<100 {
            commands.append(index == 50 ? ["INCR", prefix + "text"] : ["INCR", prefix + "counter"])
        }
        let replies = try redis.pipeline(commands)
        try #require(replies.count == 100)
        for index in 0..<50 { #expect(replies[index] == .integer(Int64(index + 1)), "reply \(index)") }
        guard case .error(let message) = replies[50] else {
            Issue.record("reply 50 is \(replies[50]), not an error")
            return
        }
        #expect(message.contains("not an integer"))
        for index in 51..<100 { #expect(replies[index] == .integer(Int64(index)), "reply \(index)") }
        #expect(try redis.pipeline([]) == [])
        // The connection is in sync afterwards: the next command gets its own reply.
        #expect(try redis.command(["GET", prefix + "counter"]).integer == 99)
    }

    @Test func evaluateLoadsAndReloadsAfterScriptFlush() throws {
        let redis = try TestStack.redis()
        let prefix = TestStack.keyPrefix()
        defer { _ = try? redis.command(["DEL", prefix + "k"]) }
        // A unique script body, so this test owns its SHA.
        let script = RedisScript(
            """
            -- \(prefix)
            redis.call('SET', KEYS[1], ARGV[1])
            return {redis.call('GET', KEYS[1]), tonumber(ARGV[2]) + 1}
            """)
        let first = try redis.evaluate(script, keys: [prefix + "k"], arguments: ["v1", "41"])
        #expect(first == .array([.bulk(Array("v1".utf8)), .integer(42)]))
        let second = try redis.evaluate(script, keys: [prefix + "k"], arguments: ["v2", "1"])
        #expect(second == .array([.bulk(Array("v2".utf8)), .integer(2)]))

        // Another connection empties the script cache: the cached SHA now gets NOSCRIPT and is reloaded.
        let other = try TestStack.redis()
        #expect(try other.command(["SCRIPT", "FLUSH"]) == .status("OK"))
        let third = try redis.evaluate(script, keys: [prefix + "k"], arguments: ["v3", "9"])
        #expect(third == .array([.bulk(Array("v3".utf8)), .integer(10)]))
        #expect(try redis.command(["GET", prefix + "k"]).string == "v3")

        // A script error is a server error, not a connection error.
        do {
            try redis.evaluate(RedisScript("return redis.call('INCR', KEYS[1]) -- \(prefix)"), keys: [prefix + "k"], arguments: [])
            Issue.record("INCR of a string in Lua did not throw")
        } catch {
            #expect(error.code == .serverError)
        }
    }

    @Test func blockingCommandGetsItsBlockTimeAddedToTheTimeout() throws {
        // The command timeout (0.15 s) is shorter than the block (0.3 s): without the extension this would time out.
        let redis = try TestStack.redis(commandTimeout: 0.15)
        let key = TestStack.keyPrefix() + "empty"
        let started = now()
        let reply = try redis.command(["BLPOP", key, "0.3"], blockingSeconds: 0.3)
        let elapsed = now() - started
        #expect(reply == .null)
        #expect(elapsed >= 0.25 && elapsed < 1.5, "BLPOP returned after \(elapsed)s")
        // The normal timeout is back afterwards, and the connection still works.
        #expect(try redis.command(["PING"]) == .status("PONG"))
    }

    @Test func aReplySlowerThanTheCommandTimeoutIsATimeout() throws {
        let redis = try TestStack.redis(commandTimeout: 0.2)
        let key = TestStack.keyPrefix() + "empty"
        let started = now()
        do {
            try redis.command(["BLPOP", key, "2"])
            Issue.record("BLPOP 2 s with a 0.2 s timeout did not throw")
        } catch {
            #expect(error.code == .timeout, "got \(String(reflecting: error))")
            #expect(error.isConnectionError)
        }
        #expect(now() - started < 1.5)
        #expect(!redis.isConnected)
        // The next command reconnects.
        #expect(try redis.command(["PING"]) == .status("PONG"))
    }

    @Test func reconnectsAfterItsConnectionIsKilled() throws {
        let redis = try TestStack.redis()
        let prefix = TestStack.keyPrefix()
        defer { _ = try? redis.command(["DEL", prefix + "k"]) }
        try redis.command(["SET", prefix + "k", "before"])
        let id = try #require(try redis.command(["CLIENT", "ID"]).integer)
        let admin = try TestStack.redis()
        #expect(try admin.command(["CLIENT", "KILL", "ID", String(id)]) == .integer(1))

        // The command on the dead connection fails as a connection error (it is not silently re-sent)...
        do {
            try redis.command(["GET", prefix + "k"])
            Issue.record("a command on a killed connection succeeded")
        } catch {
            #expect(error.isConnectionError, "got \(String(reflecting: error))")
        }
        // ...and the next one runs on a new connection.
        #expect(try redis.command(["GET", prefix + "k"]).string == "before")
        let newID = try #require(try redis.command(["CLIENT", "ID"]).integer)
        #expect(newID != id)
    }

    @Test func pipelineOnAKilledConnectionThrowsThenRecovers() throws {
        let redis = try TestStack.redis()
        let id = try #require(try redis.command(["CLIENT", "ID"]).integer)
        try TestStack.redis().command(["CLIENT", "KILL", "ID", String(id)])
        #expect(throws: RedisError.self) { try redis.pipeline([["PING"], ["PING"]]) }
        #expect(try redis.pipeline([["PING"], ["PING"]]) == [.status("PONG"), .status("PONG")])
    }

    @Test func failsWhenTheServerIsAbsent() throws {
        let port = try TestStack.freePort()
        let started = now()
        do {
            _ = try RedisConnection(RedisConfiguration(host: "127.0.0.1", port: port, connectTimeout: 1))
            Issue.record("connected to a closed port")
        } catch {
            #expect(error.code == .connectionFailed)
            #expect(error.isConnectionError)
        }
        #expect(now() - started < 1.5)
        #expect(throws: RedisError.self) {
            _ = try RedisConnection(RedisConfiguration(socketPath: "/nonexistent/redis.sock"))
        }
    }

    @Test func selectsTheDatabaseFromTheURL() throws {
        var configuration = try TestStack.redisConfiguration()
        configuration.database = 3
        let redis = try RedisConnection(configuration)
        let key = TestStack.keyPrefix() + "db"
        defer { _ = try? redis.command(["DEL", key]) }
        try redis.command(["SET", key, "in db 3"])
        #expect(try TestStack.redis().command(["EXISTS", key]) == .integer(0))
        #expect(try redis.command(["EXISTS", key]) == .integer(1))
    }

    /// An ACL user allowed only `it:*` keys logs in over TCP and over the unix socket (with a db), reaches its
    /// keys and is refused others; a wrong password is refused.
    @Test func aclUserOverTCPAndUnixSocket() throws {
        let admin = try TestStack.redis()
        let user = "it-acl-" + TestStack.randomHex(8)
        let password = "pw-" + TestStack.randomHex(16)
        try admin.command(["ACL", "SETUSER", user, "on", ">" + password, "~it:*", "+@all", "-@dangerous"])
        defer { _ = try? admin.command(["ACL", "DELUSER", user]) }
        let port = try TestStack.variable("STACK_REDIS_PORT")
        let socket = try TestStack.stackDirectory() + "/run/redis.sock"
        let prefix = TestStack.keyPrefix()
        for url in ["redis://\(user):\(password)@127.0.0.1:\(port)/5", "unix://\(user):\(password)@\(socket)?db=5"] {
            let configuration = try #require(RedisConfiguration(url: url))
            let redis = try RedisConnection(configuration)
            #expect(try redis.command(["SET", prefix + "k", "v"]) == .status("OK"))
            #expect(try redis.command(["ACL", "WHOAMI"]).string == user)
            #expect(throws: RedisError.self) { try redis.command(["GET", "q:{shoro}:depth"]) }
        }
        // Both wrote to db 5, not db 0.
        #expect(try admin.command(["GET", prefix + "k"]) == .null)
        try admin.command(["SELECT", "5"])
        #expect(try admin.command(["GET", prefix + "k"]).string == "v")
        try admin.command(["DEL", prefix + "k"])
        try admin.command(["SELECT", "0"])
        var wrong = try #require(RedisConfiguration(url: "redis://\(user):wrong@127.0.0.1:\(port)/0"))
        wrong.connectTimeout = 1
        #expect(throws: RedisError.self) { try RedisConnection(wrong) }
    }

    struct URLCase: Sendable, CustomTestStringConvertible {
        let url: String
        let expected: RedisConfiguration?
        var testDescription: String { self.url }
    }

    @Test(arguments: [
        URLCase(url: "redis://127.0.0.1:6380/2", expected: RedisConfiguration(host: "127.0.0.1", port: 6380, database: 2)),
        URLCase(url: "redis://localhost", expected: RedisConfiguration(host: "localhost")),
        URLCase(url: "redis://localhost/", expected: RedisConfiguration(host: "localhost")),
        URLCase(url: "redis://redis.internal:7000", expected: RedisConfiguration(host: "redis.internal", port: 7000)),
        URLCase(url: "redis://:s3cret@10.0.0.5:6379/1", expected: RedisConfiguration(host: "10.0.0.5", password: "s3cret", database: 1)),
        URLCase(
            url: "redis://default:s3cret@h:1/0", expected: RedisConfiguration(host: "h", port: 1, username: "default", password: "s3cret")),
        // An ACL user (`AUTH user password`); a password alone, without a colon, stays a password.
        URLCase(
            url: "redis://chatbots:s3cr:et@redis.internal:6380/2",
            expected: RedisConfiguration(
                host: "redis.internal", port: 6380, username: "chatbots", password: "s3cr:et", database: 2)),
        URLCase(url: "redis://s3cret@h", expected: RedisConfiguration(host: "h", password: "s3cret")),
        URLCase(url: "redis://user:@h/0", expected: nil),
        // The unix socket with a password, an ACL user and a database.
        URLCase(
            url: "unix://:pw@/run/redis/redis.sock?db=3",
            expected: RedisConfiguration(
                socketPath: "/run/redis/redis.sock", password: "pw", database: 3)),
        URLCase(
            url: "unix://chatbots:p%w@/run/redis/redis.sock",
            expected: RedisConfiguration(
                socketPath: "/run/redis/redis.sock", username: "chatbots", password: "p%w")),
        URLCase(url: "unix://relative.sock", expected: nil),
        URLCase(url: "unix:///s.sock?db=x", expected: nil),
        URLCase(url: "unix:///s.sock?password=pw", expected: nil),
        URLCase(url: "redis://:p@ss:w@h", expected: RedisConfiguration(host: "h", password: "p@ss:w")),
        URLCase(url: "redis://:@h", expected: RedisConfiguration(host: "h")),
        URLCase(url: "unix:///run/redis/redis.sock", expected: RedisConfiguration(socketPath: "/run/redis/redis.sock")),
        URLCase(url: "http://localhost:6379", expected: nil),
        URLCase(url: "rediss://localhost:6379", expected: nil),
        URLCase(url: "redis://", expected: nil),
        URLCase(url: "redis://:pw@", expected: nil),
        URLCase(url: "redis://:6379", expected: nil),
        URLCase(url: "redis://h:0", expected: nil),
        URLCase(url: "redis://h:65536", expected: nil),
        URLCase(url: "redis://h:port", expected: nil),
        URLCase(url: "redis://h/db", expected: nil),
        URLCase(url: "", expected: nil),
    ])
    func parsesURLs(_ example: URLCase) {
        #expect(RedisConfiguration(url: example.url) == example.expected)
    }
}
