import Edge
public import FastCGI
import Messages
public import Platform
import Postgres
import Redis
public import Storage

/// `GET /health` (dependencies, queue depths and stalls), `GET /metrics` (Prometheus text format) and `GET /`
/// (what this service is).
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
        var routes = ["GET /", "GET /health", "GET /metrics"]
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
        case "/metrics": return self.metrics()
        default: return HTTPEdge.error(404, "not_found", "no such route")
        }
    }

    private func info() -> FastCGIResponse {
        let bots = self.config.enabledBots.map(JSONText.quote).joined(separator: ",")
        let routes = Self.routes(for: self.config).map(JSONText.quote).joined(separator: ",")
        return .json(
            200,
            "{\"service\":\"chatbots\",\"version\":\(JSONText.quote(ChatbotsVersion.current)),"
                + "\"bots\":[\(bots)],\"routes\":[\(routes)]}")
    }

    private func health() -> FastCGIResponse {
        var failed: [String] = []
        var queueDepths: [String] = []
        let redisStarted = monotonicSeconds()
        let redisOK: Bool
        var durability: RedisDurability.Status?
        var snapshot = MonitoringSnapshot()
        do {
            try self.redis.with { connection in
                _ = try connection.command(["PING"])
                durability = try RedisDurability.check(on: connection)
                snapshot = try MonitoringSnapshot.readRedis(queues: Self.queues(for: self.config), on: connection)
                for (name, state) in snapshot.queues {
                    queueDepths.append("\(JSONText.quote(name)):\(state.depth)")
                    queueDepths.append("\(JSONText.quote(name + ".dead")):\(state.deadLetters)")
                    queueDepths.append("\(JSONText.quote(name + ".oldest_age_s")):\(Self.round(state.oldestAgeSeconds))")
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
            snapshot.database = try self.postgres.with { connection in
                try MonitoringSnapshot.readDatabase(overdueSeconds: self.config.monitoring.maxJobDelaySeconds, on: connection)
            }
            postgresOK = true
        } catch {
            postgresOK = false
            failed.append("postgres")
        }
        let postgresMilliseconds = (monotonicSeconds() - postgresStarted) * 1000
        // A Redis that may lose acknowledged webhooks works, but not as promised: degraded, naming each setting.
        var problems: [RedisDurability.Problem] = []
        if case .insufficient(let found)? = durability { problems = found }
        // Work that waits too long (a stalled drain, overdue jobs) needs a person as much as a dependency that is down.
        let degraded =
            (self.config.infrastructure.allowNonDurableRedis ? [] : problems.map { "redis \($0)" })
            + (redisOK ? snapshot.stalls(self.config.monitoring) : [])
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
            body +=
                ",\"durability\":\"insufficient\",\"problems\":["
                + problems.map {
                    "{\"setting\":\(JSONText.quote($0.setting)),\"value\":\(JSONText.quote($0.value)),\"required\":\(JSONText.quote($0.required))}"
                }.joined(separator: ",") + "]"
        }
        body += "},\"postgres\":{\"ok\":\(postgresOK),\"latency_ms\":\(Self.round(postgresMilliseconds))}"
        body += ",\"queues\":{\(queueDepths.joined(separator: ","))}}"
        return .json(status == "ok" ? 200 : 503, body)
    }

    /// The Prometheus exposition. Redis unreachable is 503 (the counters live there); PostgreSQL unreachable still
    /// answers, with `chatbots_postgres_up 0` and without the figures read from it.
    private func metrics() -> FastCGIResponse {
        var snapshot: MonitoringSnapshot
        do {
            snapshot = try self.redis.with { connection in
                try MonitoringSnapshot.readRedis(queues: Self.queues(for: self.config), on: connection)
            }
        } catch {
            return HTTPEdge.error(503, "unavailable", "redis is unavailable: no metrics")
        }
        snapshot.database = try? self.postgres.with { connection in
            try MonitoringSnapshot.readDatabase(overdueSeconds: self.config.monitoring.maxJobDelaySeconds, on: connection)
        }
        return FastCGIResponse(
            status: 200, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"], body: Array(snapshot.exposition().utf8))
    }

    private static func round(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = String(hundredths % 100)
        return "\(hundredths / 100)." + (fraction.count == 1 ? "0" : "") + fraction
    }
}
