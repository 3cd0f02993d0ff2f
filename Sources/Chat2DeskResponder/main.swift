import Edge
import Glibc
import Logging
import Platform
import Redis
import Synchronization

// fcgi-chat2desk: POST /webhook/chat2desk. Usage: fcgi-chat2desk [--socket PATH] [--redis-group-commit]  (no socket: fd 0)
// Each accept thread has a Redis connection of its own. --redis-group-commit makes them share one pipelined
// connection instead (RedisGroupCommit): the least CPU per request measured, but one batch in flight at a time, and
// its req/s and p99 came out mixed on a busy machine (bench/RESULTS.md), so it is opt-in; the bench measures both.
enum ProcessRedis {
    static let shared = Mutex<RedisGroupCommit?>(nil)

    static func groupCommit(_ configuration: RedisConfiguration) -> RedisGroupCommit {
        self.shared.withLock { shared in
            if let shared { return shared }
            let created = RedisGroupCommit(configuration)
            shared = created
            return created
        }
    }
}

ProcessSetup.runResponder("fcgi-chat2desk", arguments: CommandLine.arguments) { config, logger in
    guard let shoro = config.shoro else {
        logger.critical("SHORO_ENABLED is false: this responder has nothing to serve")
        exit(ExitStatus.configuration.rawValue)
    }
    let redis: any RedisScriptRunner =
        CommandLine.arguments.contains("--redis-group-commit")
        ? ProcessRedis.groupCommit(config.infrastructure.redis) : LazyRedis(config.infrastructure.redis)
    let handler = Chat2DeskWebhookHandler(
        secret: shoro.webhookSecret, dedupeSeconds: config.queue.dedupeSeconds, redis: redis, logger: logger)
    return handler.handle
}
