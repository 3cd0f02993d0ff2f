import Edge
import Glibc
import Logging
import Platform

// fcgi-chat2desk: POST /webhook/chat2desk. Usage: fcgi-chat2desk [--socket PATH]   (no socket: fd 0)
ProcessSetup.runResponder("fcgi-chat2desk", arguments: CommandLine.arguments) { config, logger in
    guard let shoro = config.shoro else {
        logger.critical("SHORO_ENABLED is false: this responder has nothing to serve")
        exit(ExitStatus.configuration.rawValue)
    }
    let handler = Chat2DeskWebhookHandler(
        secret: shoro.webhookSecret, dedupeSeconds: config.queue.dedupeSeconds,
        redis: LazyRedis(config.infrastructure.redis), logger: logger)
    return handler.handle
}
