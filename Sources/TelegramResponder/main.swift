import Edge
import Glibc
import Logging
import Platform

// fcgi-telegram: POST /webhook/tg. Usage: fcgi-telegram [--socket PATH]   (no socket: fd 0)
ProcessSetup.runResponder("fcgi-telegram", arguments: CommandLine.arguments) { config, logger in
    guard let academy = config.academy else {
        logger.critical("ACADEMY_ENABLED is false: this responder has nothing to serve")
        exit(ExitStatus.configuration.rawValue)
    }
    let handler = TelegramWebhookHandler(
        secret: academy.telegramWebhookSecret, dedupeSeconds: config.queue.dedupeSeconds,
        redis: LazyRedis(config.infrastructure.redis), logger: logger)
    return handler.handle
}
