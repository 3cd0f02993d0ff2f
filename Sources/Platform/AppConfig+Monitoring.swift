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
        /// `ALERT_TELEGRAM_CHAT_ID`: the team's Telegram chat that gets alerts, sent by the Academy bot (its token);
        /// nil: no alerts. Setting it without `ACADEMY_ENABLED` is a configuration error.
        public var alertTelegramChatID: Int64?
        /// `ALERT_EMAIL`: an address that gets the alerts by email, through Resend.
        public var alertEmail: String?
        /// Resend for `ALERT_EMAIL`: the Academy's settings, or (Academy off) `RESEND_API_URL`, `RESEND_API_KEY`,
        /// `EMAIL_FROM` read for the alerts alone.
        public var alertResend: Academy.Email?
        /// `ALERT_MIN_INTERVAL_SECONDS` (default 600, 1...86400): at most one alert per kind in this many seconds.
        public var alertMinIntervalSeconds: Double

        static func read(_ reader: inout EnvironmentReader, academy: Academy?) -> Self {
            var chatID: Int64?
            if let raw = reader.optionalString("ALERT_TELEGRAM_CHAT_ID") {
                if let id = Int64(raw), id != 0 {
                    chatID = id
                } else {
                    reader.fail("ALERT_TELEGRAM_CHAT_ID", "must be a numeric Telegram chat id (a group's is negative)")
                }
                if academy == nil {
                    reader.fail(
                        "ALERT_TELEGRAM_CHAT_ID",
                        "alerts are sent by the Academy bot: set ACADEMY_ENABLED=true (and its TELEGRAM_BOT_TOKEN) or unset it")
                }
            }
            let email = reader.optionalString("ALERT_EMAIL")
            if let email, !email.contains("@") { reader.fail("ALERT_EMAIL", "must be an email address") }
            return Self(
                metricsEnabled: reader.bool("METRICS", default: true),
                maxQueueAgeSeconds: reader.seconds("HEALTH_MAX_QUEUE_AGE_SECONDS", default: 120, range: 1...86400),
                maxDrainIdleSeconds: reader.seconds("HEALTH_MAX_DRAIN_IDLE_SECONDS", default: 120, range: 1...86400),
                maxJobDelaySeconds: reader.seconds("HEALTH_MAX_JOB_DELAY_SECONDS", default: 120, range: 1...86400),
                alertTelegramChatID: chatID,
                alertEmail: email,
                alertResend: email == nil ? nil : academy?.email ?? Academy.Email(reading: &reader),
                alertMinIntervalSeconds: reader.seconds("ALERT_MIN_INTERVAL_SECONDS", default: 600, range: 1...86400))
        }
    }
}
