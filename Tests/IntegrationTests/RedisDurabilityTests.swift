import Curl
import FastCGI
import Foundation
import Glibc
import Health
import Platform
import Redis
import Storage
import TestSupport
import Testing

/// A webhook is acknowledged only after a durable enqueue, which needs Redis with `appendonly yes`, `appendfsync
/// always` and `maxmemory-policy noeviction`. The responders check these at start-up and `GET /health` reports a
/// Redis without them as degraded, naming each setting.
///
/// Each test runs a Redis server of its own on a free port (never the stack's, which other suites use meanwhile).
@Suite("Redis durability is checked, not trusted", .stack)
struct RedisDurabilityTests {
    /// A private `redis-server` in the foreground (ended by its PID), with the given extra arguments.
    final class PrivateRedis {
        let port: Int
        let directory: String
        let child: ChildProcess

        init(_ arguments: [String]) throws {
            self.port = try TestStack.freePort()
            self.directory = try TestStack.temporaryDirectory("redis")
            self.child = try ChildProcess(
                "/usr/bin/redis-server",
                ["--port", String(self.port), "--bind", "127.0.0.1", "--dir", self.directory, "--save", ""] + arguments,
                environment: TestStack.childEnvironment())
            let ready = eventually(timeout: 10) {
                guard let connection = try? RedisConnection(self.configuration) else { return false }
                return (try? connection.command(["PING"])) == .status("PONG")
            }
            guard ready else {
                self.child.kill9()
                throw StackError("private redis-server did not start: \(self.child.stderrSoFar)")
            }
        }

        deinit {
            self.child.kill9()
            TestStack.removeDirectory(self.directory)
        }

        var url: String { "redis://127.0.0.1:\(self.port)/0" }
        var configuration: RedisConfiguration { RedisConfiguration(url: self.url)! }
    }

    /// `GET /health` of a health handler whose Redis is `redis` (PostgreSQL is the stack's).
    private static func health(_ redis: PrivateRedis, _ extra: [String: String] = [:]) throws -> (status: Int, json: [String: Any]) {
        var environment = TestStack.environment
        environment["REDIS_URL"] = redis.url
        // Other suites leave delayed jobs in the shared database; overdue ones are not what these tests look at.
        environment["HEALTH_MAX_JOB_DELAY_SECONDS"] = "86400"
        environment.merge(extra) { _, new in new }
        let config = try AppConfig(environment: environment)
        let handler = HealthHandler(
            config: config, redis: LazyRedis(config.infrastructure.redis),
            postgres: LazyPostgres(conninfo: config.infrastructure.databaseURL))
        let response = handler.handle(FastCGIRequest(method: "GET", path: "/health"))
        return (response.status, try #require(TestStack.jsonObject(response.body), "not JSON: \(response.text)"))
    }

    private static func problemSettings(_ json: [String: Any]) -> [String] {
        ((json["redis"] as? [String: Any])?["problems"] as? [[String: Any]] ?? []).compactMap { $0["setting"] as? String }
    }

    @Test func healthIsDegradedNamingEachSettingUntilRedisIsDurable() throws {
        let redis = try PrivateRedis(["--appendonly", "no", "--appendfsync", "everysec", "--maxmemory-policy", "allkeys-lru"])
        let (status, json) = try Self.health(redis)
        #expect(status == 503)
        #expect(json["status"] as? String == "degraded", "\(json)")
        #expect(Self.problemSettings(json) == ["appendonly", "appendfsync", "maxmemory-policy"], "\(json)")
        #expect((json["redis"] as? [String: Any])?["durability"] as? String == "insufficient", "\(json)")
        #expect((json["degraded"] as? [String])?.contains { $0.contains("appendfsync") } == true, "\(json)")

        // Fixed one at a time: the check is live, and each setting counts on its own.
        let connection = try RedisConnection(redis.configuration)
        try connection.command(["CONFIG", "SET", "appendonly", "yes"])
        try connection.command(["CONFIG", "SET", "maxmemory-policy", "noeviction"])
        let (oneLeft, oneLeftJSON) = try Self.health(redis)
        #expect(oneLeft == 503)
        #expect(Self.problemSettings(oneLeftJSON) == ["appendfsync"], "\(oneLeftJSON)")
        try connection.command(["CONFIG", "SET", "appendfsync", "always"])
        let (fixed, fixedJSON) = try Self.health(redis)
        #expect(fixed == 200, "\(fixedJSON)")
        #expect(fixedJSON["status"] as? String == "ok", "\(fixedJSON)")
        #expect((fixedJSON["redis"] as? [String: Any])?["durability"] as? String == "ok", "\(fixedJSON)")
    }

    @Test func aNonDurableRedisAcceptedForDevelopmentIsReportedButNotDegraded() throws {
        let redis = try PrivateRedis(["--appendonly", "yes", "--appendfsync", "everysec"])
        let (status, json) = try Self.health(redis, ["REDIS_ALLOW_NON_DURABLE": "true"])
        #expect(status == 200, "\(json)")
        #expect(json["status"] as? String == "ok", "\(json)")
        #expect(json["degraded"] == nil, "\(json)")
        #expect(Self.problemSettings(json) == ["appendfsync"], "\(json)")
    }

    @Test func aRedisWhoseConfigCommandIsDisabledIsReportedUnverifiedNotDegraded() throws {
        let redis = try PrivateRedis(["--appendonly", "yes", "--appendfsync", "always", "--rename-command", "CONFIG", ""])
        let (status, json) = try Self.health(redis)
        #expect(status == 200, "\(json)")
        #expect(json["status"] as? String == "ok", "\(json)")
        #expect((json["redis"] as? [String: Any])?["durability"] as? String == "unverified", "\(json)")
    }

    @Test func theStacksRedisIsDurable() throws {
        let response = try TestStack.nginx("GET", "/health")
        let json = try #require(TestStack.jsonObject(response.body), "not JSON: \(response.text)")
        #expect((json["redis"] as? [String: Any])?["durability"] as? String == "ok", "\(json)")
    }

    /// Starts a webhook responder against `redis`; returns it running, or its exit.
    private static func startResponder(
        _ product: String, redis: PrivateRedis, _ extra: [String: String] = [:]
    ) throws -> (ChildProcess, String) {
        let socket = TestStack.temporarySocketPath("durability")
        let child = try ChildProcess(
            try TestStack.executable(product), ["--socket", socket],
            environment: try TestStack.stackChildEnvironment(
                ["REDIS_URL": redis.url, "LOG_LEVEL": "info"].merging(extra) { _, new in new }))
        return (child, socket)
    }

    @Test(arguments: ["fcgi-chat2desk", "fcgi-tilda", "fcgi-telegram"])
    func aWebhookResponderRefusesToStartOnANonDurableRedis(product: String) throws {
        let redis = try PrivateRedis(["--appendonly", "yes", "--appendfsync", "everysec"])
        let (child, socket) = try Self.startResponder(product, redis: redis)
        defer {
            child.kill9()
            unlink(socket)
        }
        let exited = child.waitForExit(timeout: 10)
        #expect(exited, "\(product) still runs against a Redis with appendfsync everysec; stderr: \(child.stderrSoFar)")
        guard exited else { return }
        let result = child.result()
        #expect(result.status == 78, "exit \(result.status); stderr: \(result.stderr)")
        #expect(result.stderr.contains("appendfsync"), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("REDIS_ALLOW_NON_DURABLE"), "the way out is named; stderr: \(result.stderr)")
    }

    @Test func aResponderStartsWithAWarningWhenANonDurableRedisIsAccepted() throws {
        let redis = try PrivateRedis(["--appendonly", "yes", "--appendfsync", "everysec"])
        let (child, socket) = try Self.startResponder("fcgi-chat2desk", redis: redis, ["REDIS_ALLOW_NON_DURABLE": "true"])
        defer {
            child.kill9()
            unlink(socket)
        }
        let listening = eventually(timeout: 10) { FileManager.default.fileExists(atPath: socket) || !child.isRunning }
        #expect(listening && child.isRunning, "stderr: \(child.stderrSoFar)")
        #expect(eventually(timeout: 5) { child.stderrSoFar.contains("appendfsync") }, "stderr: \(child.stderrSoFar)")
    }

    @Test func aResponderStartsWhenRedisIsDurableOrCannotBeAsked() throws {
        for arguments in [["--appendonly", "yes", "--appendfsync", "always"], ["--rename-command", "CONFIG", ""]] {
            let redis = try PrivateRedis(arguments)
            let (child, socket) = try Self.startResponder("fcgi-chat2desk", redis: redis)
            defer {
                child.kill9()
                unlink(socket)
            }
            let listening = eventually(timeout: 10) { FileManager.default.fileExists(atPath: socket) || !child.isRunning }
            #expect(listening && child.isRunning, "\(arguments): stderr: \(child.stderrSoFar)")
        }
    }
}
