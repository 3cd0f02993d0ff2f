import Edge
import Glibc
import Logging
import Platform

// fcgi-tilda: POST /webhook/tilda. Usage: fcgi-tilda [--socket PATH]   (no socket: fd 0)
ProcessSetup.runResponder("fcgi-tilda", arguments: CommandLine.arguments) { config, logger in
    guard let academy = config.academy else {
        logger.critical("ACADEMY_ENABLED is false: this responder has nothing to serve")
        exit(ExitStatus.configuration.rawValue)
    }
    let handler = TildaWebhookHandler(
        settings: academy.tilda, dedupeSeconds: config.queue.dedupeSeconds,
        redis: LazyRedis(config.infrastructure.redis), logger: logger)
    return handler.handle
}
