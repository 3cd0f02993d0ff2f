import Edge
import FoundationEssentials
import Health
import Platform
import Storage

// fcgi-health: GET / and GET /health. Usage: fcgi-health [--socket PATH]   (no socket: fd 0)
ProcessSetup.runResponder("fcgi-health", arguments: CommandLine.arguments, queuesWebhooks: false) { config, _ in
    let handler = HealthHandler(
        config: config, redis: LazyRedis(config.infrastructure.redis),
        postgres: LazyPostgres(conninfo: config.infrastructure.databaseURL))
    return handler.handle
}
