public import FastCGI
import FoundationEssentials
import Glibc
public import Logging
public import Platform
import Redis

/// Start-up of the FastCGI responders (the rest of `ProcessSetup` is in Platform, shared with the cron jobs).
extension ProcessSetup {
    /// Runs a FastCGI responder: `--socket PATH` creates a unix socket, no argument uses fd 0. A responder that
    /// acknowledges webhooks (`queuesWebhooks`) first checks that Redis keeps what it acknowledges, and counts its
    /// answers and handling time under its route (`fcgi-tilda` → `tilda`) unless `METRICS` is off.
    public static func runResponder(
        _ label: String, arguments: [String], queuesWebhooks: Bool = true,
        makeHandler: @escaping @Sendable (AppConfig, Logger) -> FastCGIHandler
    ) -> Never {
        let (config, logger) = self.load(label)
        if queuesWebhooks {
            self.checkRedisDurability(config, logger)
            Metrics.shared.configure(
                redis: config.infrastructure.redis, enabled: config.monitoring.metricsEnabled,
                webhookRoute: label.hasPrefix("fcgi-") ? String(label.dropFirst(5)) : label)
            Metrics.shared.startBackgroundFlush()
        }
        var socketPath: String?
        if let index = arguments.firstIndex(of: "--socket"), index + 1 < arguments.count {
            socketPath = arguments[index + 1]
        }
        let server = FastCGIServerConfiguration(
            socketPath: socketPath, threads: config.infrastructure.fastCGIThreads,
            maxBodyBytes: config.infrastructure.maxBodyBytes)
        logger.info(
            "responder starting",
            metadata: [
                "fcgi.socket": "\(socketPath ?? "fd 0")", "fcgi.threads": "\(server.threads)",
            ])
        do {
            try runFastCGIServer(server) { _ in
                let handler = makeHandler(config, logger)
                guard queuesWebhooks, let route = Metrics.shared.webhookRoute else { return handler }
                let duration = MetricCatalog.webhookDuration.series([("route", route)])
                let metrics = Metrics.shared.threadRecorder()
                return { request in
                    let started = monotonicSeconds()
                    let response = handler(request)
                    metrics.observe(duration, monotonicSeconds() - started)
                    return response
                }
            }
        } catch {
            logger.critical("responder cannot start", metadata: ["error": "\(error)"])
            exit(1)
        }
        Metrics.shared.flush()
        logger.info("responder stopped")
        exit(0)
    }

    /// A webhook is acknowledged only after a durable enqueue. A Redis that says it would lose or evict what it
    /// acknowledged is bad configuration: exit 78 naming each setting, unless `REDIS_ALLOW_NON_DURABLE` accepts it
    /// (a warning). A Redis that cannot be reached (the responder answers 503 until it can) or asked (`CONFIG`
    /// renamed or not allowed) is a warning; `GET /health` keeps checking either way.
    static func checkRedisDurability(_ config: AppConfig, _ logger: Logger) {
        let status: RedisDurability.Status
        do {
            status = try RedisDurability.check(on: RedisConnection(config.infrastructure.redis))
        } catch {
            logger.warning("redis durability not checked at start-up: redis is unreachable", metadata: ["error": "\(error)"])
            return
        }
        switch status {
        case .durable: return
        case .unverified(let reason):
            let required = RedisDurability.requirements.map { "\($0.setting) \($0.required)" }.joined(separator: ", ")
            logger.warning(
                "redis durability cannot be checked (CONFIG GET refused): make sure it has \(required)",
                metadata: ["redis.reply": "\(reason)"])
        case .insufficient(let problems):
            let metadata: Logger.Metadata = ["redis.problems": "\(problems.map(\.description).joined(separator: "; "))"]
            if config.infrastructure.allowNonDurableRedis {
                logger.warning("redis may lose acknowledged webhooks; accepted because REDIS_ALLOW_NON_DURABLE is true", metadata: metadata)
                return
            }
            logger.critical(
                "redis may lose acknowledged webhooks: fix its configuration (or set REDIS_ALLOW_NON_DURABLE=true for development)",
                metadata: metadata)
            exit(ExitStatus.configuration.rawValue)
        }
    }
}
