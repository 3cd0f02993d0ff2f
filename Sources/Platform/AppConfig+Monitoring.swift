extension AppConfig {
    /// Metrics, the stall checks of `/health`, and operator alerts.
    public struct Monitoring: Sendable {
        /// `METRICS` (default on): off stops every process from counting (`make bench` measures the difference).
        public var metricsEnabled: Bool
        /// `HEALTH_MAX_QUEUE_AGE_SECONDS` (default 120, 1...86400): `/health` is degraded when a queue's oldest
        /// waiting message is older.
        public var maxQueueAgeSeconds: Double
        /// `HEALTH_MAX_DRAIN_IDLE_SECONDS` (default 120, 1...86400): degraded when work waits and `cron-drain` has not
        /// finished a run for this long.
        public var maxDrainIdleSeconds: Double
        /// `HEALTH_MAX_JOB_DELAY_SECONDS` (default 120, 1...86400): a delayed job still pending this long after its
        /// time is overdue (degraded).
        public var maxJobDelaySeconds: Double

        static func read(_ reader: inout EnvironmentReader) -> Self {
            Self(
                metricsEnabled: reader.bool("METRICS", default: true),
                maxQueueAgeSeconds: reader.seconds("HEALTH_MAX_QUEUE_AGE_SECONDS", default: 120, range: 1...86400),
                maxDrainIdleSeconds: reader.seconds("HEALTH_MAX_DRAIN_IDLE_SECONDS", default: 120, range: 1...86400),
                maxJobDelaySeconds: reader.seconds("HEALTH_MAX_JOB_DELAY_SECONDS", default: 120, range: 1...86400))
        }
    }
}
