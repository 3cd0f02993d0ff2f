import FoundationEssentials
import Glibc
public import Logging
import Redis

/// Start-up shared by every executable: configuration, logging, and how to die on bad configuration.
public enum ProcessSetup {
    /// Reads the configuration (exit 78, EX_CONFIG, listing every problem, when invalid) and bootstraps JSON logging.
    public static func load(_ label: String) -> (AppConfig, Logger) {
        let config = self.settings(label, AppConfig.init(environment:))
        JSONLogHandler.bootstrap(level: config.infrastructure.logLevel)
        Metrics.shared.configure(redis: config.infrastructure.redis, enabled: config.monitoring.metricsEnabled)
        return (config, Logger(label: label))
    }

    /// The end of a cron job's successful run: its time in `jobs:last_run` (see `JobRuns`) and its metrics flushed.
    /// A Redis that cannot be reached is logged, not fatal: the run itself succeeded.
    public static func finishJob(_ label: String, config: AppConfig, logger: Logger) {
        Metrics.shared.flush()
        do {
            try JobRuns.recordSuccess(label, on: RedisConnection(config.infrastructure.redis))
        } catch {
            logger.warning("last successful run not recorded", metadata: ["job": "\(label)", "error": "\(error)"])
        }
    }

    /// Settings of one executable read from the effective environment (exit 78 listing every problem when invalid).
    public static func settings<Settings>(
        _ label: String, _ read: ([String: String]) throws(ConfigurationError) -> Settings
    ) -> Settings {
        do {
            return try read(try EnvironmentFile.effectiveEnvironment(process: ProcessInfo.processInfo.environment))
        } catch {
            let text = "\(label): \(error)\n"
            _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
            exit(ExitStatus.configuration.rawValue)
        }
    }
}
