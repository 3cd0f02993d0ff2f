import Edge
import Glibc
import Logging
import Platform
import Redis
import Synchronization

// fcgi-chat2desk: POST /webhook/chat2desk. Usage: fcgi-chat2desk [--socket PATH] [--redis-per-thread]  (no socket: fd 0)
// The accept threads share one pipelined Redis connection (group commit, see RedisGroupCommit): the enqueues of
// concurrent webhooks go out in one write and cost Redis one read, one write and one fsync. --redis-per-thread
// gives each thread a connection of its own instead (the bench measures both).
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
        CommandLine.arguments.contains("--redis-per-thread")
        ? LazyRedis(config.infrastructure.redis) : ProcessRedis.groupCommit(config.infrastructure.redis)
    let handler = Chat2DeskWebhookHandler(
        secret: shoro.webhookSecret, dedupeSeconds: config.queue.dedupeSeconds, redis: redis, logger: logger)
    return handler.handle
}
