import Edge
import OpsDashboard
import Platform
import Storage

// fcgi-ops: the operators' dashboard under /ops/ (behind nginx's basic auth and allow-list). Usage: fcgi-ops [--socket PATH]
let settings = ProcessSetup.settings("fcgi-ops", OpsSettings.init(environment:))
ProcessSetup.runResponder("fcgi-ops", arguments: CommandLine.arguments, queuesWebhooks: false) { config, _ in
    let handler = OpsDashboardHandler(
        config: config, settings: settings, redis: LazyRedis(config.infrastructure.redis),
        postgres: LazyPostgres(conninfo: config.infrastructure.databaseURL))
    return handler.handle
}
