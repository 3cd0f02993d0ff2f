public import FastCGI
import Edge
public import Platform
public import Storage
import Postgres
import Redis
import Messages

/// `GET /health` (dependencies and queue depths) and `GET /` (what this service is).
public struct HealthHandler {
    private let config: AppConfig
    private let redis: LazyRedis
    private let postgres: LazyPostgres

    public init(config: AppConfig, redis: LazyRedis, postgres: LazyPostgres) {
        self.config = config
        self.redis = redis
        self.postgres = postgres
    }

    /// Every route this deployment serves, as listed by `GET /`.
    public static func routes(for config: AppConfig) -> [String] {
        var routes = ["GET /", "GET /health"]
        if config.shoro != nil { routes.append("POST /webhook/chat2desk") }
        if config.academy != nil { routes += ["POST /webhook/tilda", "POST /webhook/tg"] }
        return routes
    }

    /// The inbound queues of the enabled bots.
    public static func queues(for config: AppConfig) -> [InboundQueue] {
        (config.shoro == nil ? [] : [InboundQueue.shoro]) + (config.academy == nil ? [] : [InboundQueue.academy])
    }

    public func handle(_ request: FastCGIRequest) -> FastCGIResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return HTTPEdge.methodNotAllowed(allowed: ["GET", "HEAD"])
        }
        switch request.path {
        case "/", "": return self.info()
        case "/health": return self.health()
        default: return HTTPEdge.error(404, "not_found", "no such route")
        }
    }

    private func info() -> FastCGIResponse {
        let bots = self.config.enabledBots.map(JSONText.quote).joined(separator: ",")
        let routes = Self.routes(for: self.config).map(JSONText.quote).joined(separator: ",")
        return .json(200, "{\"service\":\"chatbots\",\"version\":\(JSONText.quote(ChatbotsVersion.current)),"
            + "\"bots\":[\(bots)],\"routes\":[\(routes)]}")
    }

    private func health() -> FastCGIResponse {
        var failed: [String] = []
        var queueDepths: [String] = []
        let redisStarted = monotonicSeconds()
        let redisOK: Bool
        var durability: RedisDurability.Status?
        do {
            try self.redis.with { connection in
                _ = try connection.command(["PING"])
                durability = try RedisDurability.check(on: connection)
                for queue in Self.queues(for: self.config) {
                    queueDepths.append("\(JSONText.quote(queue.name)):\(try queue.depth(on: connection))")
                    queueDepths.append("\(JSONText.quote(queue.name + ".dead")):\(try queue.deadLetters(on: connection).count)")
                }
            }
            redisOK = true
        } catch {
            redisOK = false
            failed.append("redis")
        }
        let redisMilliseconds = (monotonicSeconds() - redisStarted) * 1000
        let postgresStarted = monotonicSeconds()
        let postgresOK: Bool
        do {
            try self.postgres.with { connection in _ = try connection.query("SELECT 1") }
            postgresOK = true
        } catch {
            postgresOK = false
            failed.append("postgres")
        }
        let postgresMilliseconds = (monotonicSeconds() - postgresStarted) * 1000
        // A Redis that may lose acknowledged webhooks works, but not as promised: degraded, naming each setting.
        var problems: [RedisDurability.Problem] = []
        if case .insufficient(let found)? = durability { problems = found }
        let degraded = self.config.infrastructure.allowNonDurableRedis ? [] : problems.map { "redis \($0)" }
        let status = !failed.isEmpty ? "unavailable" : degraded.isEmpty ? "ok" : "degraded"
        var body = "{\"status\":\(JSONText.quote(status))"
        if !failed.isEmpty { body += ",\"failed\":[\(failed.map(JSONText.quote).joined(separator: ","))]" }
        if !degraded.isEmpty { body += ",\"degraded\":[\(degraded.map(JSONText.quote).joined(separator: ","))]" }
        body += ",\"redis\":{\"ok\":\(redisOK),\"latency_ms\":\(Self.round(redisMilliseconds))"
        switch durability {
        case nil: break
        case .durable?: body += ",\"durability\":\"ok\""
        case .unverified?: body += ",\"durability\":\"unverified\""
        case .insufficient?:
            body += ",\"durability\":\"insufficient\",\"problems\":[" + problems.map {
                "{\"setting\":\(JSONText.quote($0.setting)),\"value\":\(JSONText.quote($0.value)),\"required\":\(JSONText.quote($0.required))}"
            }.joined(separator: ",") + "]"
        }
        body += "},\"postgres\":{\"ok\":\(postgresOK),\"latency_ms\":\(Self.round(postgresMilliseconds))}"
        body += ",\"queues\":{\(queueDepths.joined(separator: ","))}}"
        return .json(status == "ok" ? 200 : 503, body)
    }

    private static func round(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = String(hundredths % 100)
        return "\(hundredths / 100)." + (fraction.count == 1 ? "0" : "") + fraction
    }
}
