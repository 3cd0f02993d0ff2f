import Edge
import Foundation
import Redis
import Testing

/// `REDIS_URL` as operators write it: an ACL user limited to key prefixes, over TCP and over the unix socket.
@Suite("REDIS_URL: ACL users, passwords, unix sockets", .stack)
struct RedisURLTests {
    @Test func parsesEveryDocumentedShape() {
        let acl = RedisConfiguration(url: "redis://chatbots:s3cr:et@redis.internal:6380/2")
        #expect(acl?.username == "chatbots" && acl?.password == "s3cr:et" && acl?.host == "redis.internal")
        #expect(acl?.port == 6380 && acl?.database == 2 && acl?.socketPath == nil)
        let legacy = RedisConfiguration(url: "redis://:pw@127.0.0.1/1")
        #expect(legacy?.username == nil && legacy?.password == "pw" && legacy?.database == 1)
        let socket = RedisConfiguration(url: "unix://chatbots:p%w@/run/redis/redis-server.sock?db=3")
        #expect(socket?.socketPath == "/run/redis/redis-server.sock" && socket?.username == "chatbots")
        #expect(socket?.password == "p%w" && socket?.database == 3)
        let plain = RedisConfiguration(url: "unix:///run/redis/redis-server.sock")
        #expect(plain?.socketPath == "/run/redis/redis-server.sock" && plain?.password == nil && plain?.database == 0)
        // A user without a password, a bad db or a relative socket path is refused (exit 78 names REDIS_URL).
        for bad in ["redis://user:@h/0", "redis://h/x", "unix://relative.sock", "unix:///s.sock?db=x", "http://h"] {
            #expect(RedisConfiguration(url: bad) == nil, "\(bad)")
        }
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
}
