public import Redis

/// The whole configuration, read once in `main` from the environment (and `CHATBOTS_ENV_FILE`).
///
/// Every variable is documented in `.env.example`. Missing or invalid values are all reported
/// together, by name, before anything starts.
public struct AppConfig: Sendable {
    /// Shared infrastructure.
    public struct Infrastructure: Sendable {
        /// `REDIS_URL`: `redis://[[user]:password@]host:port/db` or `unix://[[user]:password@]/path[?db=N]`.
        public var redis: RedisConfiguration
        /// `DATABASE_URL`: a libpq connection string or `postgresql://` URL.
        public var databaseURL: String
        /// `LOG_LEVEL`: trace, debug, info, notice, warning, error, critical.
        public var logLevel: String
        /// `FCGI_THREADS`: accept threads per responder process.
        public var fastCGIThreads: Int
        /// `FCGI_MAX_BODY_BYTES`: largest accepted webhook body.
        public var maxBodyBytes: Int
        /// `HTTP_TIMEOUT_SECONDS` and `HTTP_CONNECT_TIMEOUT_SECONDS` for outbound API calls.
        public var httpTimeout: Double
        public var httpConnectTimeout: Double
        /// `TEXTS_DIR`: folder of the dialog text files.
        public var textsDirectory: String
        /// `PUBLIC_BASE_URL`: where nginx serves this service (botctl chat posts webhooks there).
        public var publicBaseURL: String
        /// `REDIS_ALLOW_NON_DURABLE`: start the webhook responders, and keep `/health` ok, on a Redis without
        /// `appendonly yes`, `appendfsync always` and `maxmemory-policy noeviction` (development only: an
        /// acknowledged webhook may then be lost).
        public var allowNonDurableRedis: Bool
    }

    /// The inbound queue and its workers.
    public struct Queue: Sendable {
        /// `DRAIN_CONCURRENCY`: worker threads per drain process (1...50).
        public var concurrency: Int
        /// `DRAIN_BATCH_SIZE`: conversations a Shoro worker may claim and step together (1...50) when that many
        /// are waiting; with fewer waiting it takes what there is, so a quiet queue is served one at a time.
        public var batchSize: Int
        /// `DRAIN_RUN_SECONDS`: how long one cron-started drain keeps going before it exits.
        public var runSeconds: Double
        /// `QUEUE_LEASE_SECONDS`: a claimed conversation is re-delivered if not acknowledged in time.
        public var leaseSeconds: Double
        /// `QUEUE_MAX_ATTEMPTS`: deliveries of one message before it becomes a dead letter.
        public var maxAttempts: Int
        /// `QUEUE_BACKOFF_SECONDS`: first retry delay; doubles each attempt.
        public var backoffSeconds: Double
        /// `QUEUE_OUTAGE_BACKOFF_MAX_SECONDS`: while PostgreSQL or Redis is unavailable a conversation waits
        /// `QUEUE_BACKOFF_SECONDS` doubled for each failure in a row, up to this; such failures spend no attempt.
        public var outageBackoffMaxSeconds: Double
        /// `DEDUPE_TTL_SECONDS`: how long a source message id is remembered.
        public var dedupeSeconds: Int
    }

    /// Outbound sends: inline retries, then the outbox.
    public struct Outbound: Sendable {
        /// `SEND_RETRY_DELAYS`: waits between the inline attempts, e.g. `1,2,4`.
        public var inlineRetryDelays: [Double]
        /// `OUTBOX_MAX_ATTEMPTS`: outbox attempts before a send becomes a dead letter.
        public var outboxMaxAttempts: Int
        /// `OUTBOX_BACKOFF_SECONDS` / `OUTBOX_BACKOFF_MAX_SECONDS`: outbox retry delay, doubling up to the cap.
        public var outboxBackoffSeconds: Double
        public var outboxBackoffMaxSeconds: Double
    }

    /// The Shoro water-delivery bot on Chat2Desk.
    public struct Shoro: Sendable {
        /// `CHAT2DESK_API_URL`: base URL (the sandbox points it at the local fake).
        public var apiURL: String
        /// `CHAT2DESK_TOKEN`: the raw API token (sent without `Bearer`).
        public var token: String
        /// `CHAT2DESK_WEBHOOK_SECRET`: the shared secret the webhook URL must carry.
        public var webhookSecret: String
        /// `CHAT2DESK_RATE_LIMIT_PER_MINUTE`: sliding-window limit shared by every process.
        public var rateLimitPerMinute: Int
        /// `SHORO_DIALOG_TTL_SECONDS`: an idle dialog expires after this long.
        public var dialogTTLSeconds: Int
        /// `SHORO_OPERATOR_PAUSE_SECONDS`: how long the bot stays silent after an operator's message or a request
        /// for a person, unless the desk closes the dialog first (4 h).
        public var operatorPauseSeconds: Double
        /// `SHORO_TEAM_HOURS` (`HH:MM-HH:MM`, every day) as minutes after midnight; nil: someone is always there.
        public var teamHours: (start: Int, end: Int)?
        /// `SHORO_TEAM_UTC_OFFSET_MINUTES`: the team's time zone (Bishkek, UTC+6, by default).
        public var teamUTCOffsetMinutes: Int
        /// `SHORO_DISPATCH_CHAT2DESK_COMMENT`: each new order is posted as an internal comment in the client's dialog.
        public var dispatchAsComment: Bool
    }

    public var infrastructure: Infrastructure
    public var queue: Queue
    public var outbound: Outbound
    /// `SHORO_ENABLED`; nil when the bot is disabled.
    public var shoro: Shoro?
    /// `ACADEMY_ENABLED`; nil when the bot is disabled.
    public var academy: Academy?
    /// Delayed jobs (`due-jobs`).
    public var jobs: Jobs
    /// `GOOGLE_*` (see `GoogleSettings`); nil when `GOOGLE_SERVICE_ACCOUNT_FILE` is empty.
    public var google: GoogleSettings?
    /// `ZOOM_*`, `LESSON_*`, … (see `BookingSettings`); read with the Academy bot, nil when it is disabled.
    public var booking: BookingSettings?
    /// `OPENAI_*`, `AI_*`, `VOICE_MAX_BYTES` (see `AISettings`): the Academy's assistant; nil when the Academy is off.
    public var ai: AISettings?
    /// `RETENTION_*` (see `RetentionSettings`): what `cron-prune` deletes and when.
    public var retention: RetentionSettings
    /// Metrics, health thresholds and alerts (`AppConfig+Monitoring.swift`).
    public var monitoring: Monitoring

    /// The names of the enabled bots.
    public var enabledBots: [String] { (self.shoro == nil ? [] : ["shoro"]) + (self.academy == nil ? [] : ["academy"]) }

    /// Reads and validates everything; throws every problem at once.
    public init(environment: [String: String]) throws(ConfigurationError) {
        var reader = EnvironmentReader(environment)
        let redisURL = reader.string("REDIS_URL")
        var redis = RedisConfiguration()
        if !redisURL.isEmpty {
            if let parsed = RedisConfiguration(url: redisURL) {
                redis = parsed
            } else {
                reader.fail("REDIS_URL", "must look like redis://[user:password@]host:port/db or unix://[user:password@]/path[?db=N]")
            }
        }
        redis.connectTimeout = reader.seconds("REDIS_CONNECT_TIMEOUT_SECONDS", default: 1, range: 0.05...30)
        redis.commandTimeout = reader.seconds("REDIS_COMMAND_TIMEOUT_SECONDS", default: 2, range: 0.05...60)
        let logLevel = reader.string("LOG_LEVEL", default: "info")
        if !["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) {
            reader.fail("LOG_LEVEL", "must be one of trace, debug, info, notice, warning, error, critical")
        }
        self.infrastructure = Infrastructure(
            redis: redis,
            databaseURL: reader.string("DATABASE_URL"),
            logLevel: logLevel,
            fastCGIThreads: reader.int("FCGI_THREADS", default: 32, range: 1...256),
            maxBodyBytes: reader.int("FCGI_MAX_BODY_BYTES", default: 1 << 20, range: 1024...(64 << 20)),
            httpTimeout: reader.seconds("HTTP_TIMEOUT_SECONDS", default: 10, range: 0.1...600),
            httpConnectTimeout: reader.seconds("HTTP_CONNECT_TIMEOUT_SECONDS", default: 5, range: 0.1...60),
            textsDirectory: reader.string("TEXTS_DIR", default: "resources/texts"),
            publicBaseURL: reader.url("PUBLIC_BASE_URL", default: "http://127.0.0.1:8080"),
            allowNonDurableRedis: reader.bool("REDIS_ALLOW_NON_DURABLE", default: false))
        self.queue = Queue(
            concurrency: reader.int("DRAIN_CONCURRENCY", default: 5, range: 1...50),
            batchSize: reader.int("DRAIN_BATCH_SIZE", default: 16, range: 1...50),
            runSeconds: reader.seconds("DRAIN_RUN_SECONDS", default: 55, range: 0...3600),
            leaseSeconds: reader.seconds("QUEUE_LEASE_SECONDS", default: 30, range: 1...3600),
            maxAttempts: reader.int("QUEUE_MAX_ATTEMPTS", default: 3, range: 1...100),
            backoffSeconds: reader.seconds("QUEUE_BACKOFF_SECONDS", default: 1, range: 0...3600),
            outageBackoffMaxSeconds: reader.seconds("QUEUE_OUTAGE_BACKOFF_MAX_SECONDS", default: 60, range: 1...3600),
            dedupeSeconds: reader.int("DEDUPE_TTL_SECONDS", default: 7 * 86400, range: 60...(90 * 86400)))
        self.outbound = Outbound(
            inlineRetryDelays: reader.secondsList("SEND_RETRY_DELAYS", default: [1, 2, 4]),
            outboxMaxAttempts: reader.int("OUTBOX_MAX_ATTEMPTS", default: 50, range: 1...1000),
            outboxBackoffSeconds: reader.seconds("OUTBOX_BACKOFF_SECONDS", default: 10, range: 0...86400),
            outboxBackoffMaxSeconds: reader.seconds("OUTBOX_BACKOFF_MAX_SECONDS", default: 3600, range: 0...86400))
        if reader.bool("SHORO_ENABLED", default: true) {
            self.shoro = Shoro(
                apiURL: reader.url("CHAT2DESK_API_URL", default: "https://api.chat2desk.com"),
                token: reader.string("CHAT2DESK_TOKEN"),
                webhookSecret: reader.secret("CHAT2DESK_WEBHOOK_SECRET"),
                rateLimitPerMinute: reader.int("CHAT2DESK_RATE_LIMIT_PER_MINUTE", default: 300, range: 1...1_000_000),
                dialogTTLSeconds: reader.int("SHORO_DIALOG_TTL_SECONDS", default: 86400, range: 60...(30 * 86400)),
                operatorPauseSeconds: reader.seconds("SHORO_OPERATOR_PAUSE_SECONDS", default: 4 * 3600, range: 1...(7 * 86400)),
                teamHours: reader.dailyHours("SHORO_TEAM_HOURS"),
                teamUTCOffsetMinutes: reader.int("SHORO_TEAM_UTC_OFFSET_MINUTES", default: 360, range: -720...840),
                dispatchAsComment: reader.bool("SHORO_DISPATCH_CHAT2DESK_COMMENT", default: true))
        } else {
            self.shoro = nil
        }
        self.jobs = Jobs(
            maxAttempts: reader.int("JOBS_MAX_ATTEMPTS", default: 8, range: 1...100),
            backoffSeconds: reader.seconds("JOBS_BACKOFF_SECONDS", default: 30, range: 0...86400),
            backoffMaxSeconds: reader.seconds("JOBS_BACKOFF_MAX_SECONDS", default: 3600, range: 0...86400),
            leaseSeconds: reader.seconds("JOBS_LEASE_SECONDS", default: 120, range: 1...3600))
        self.academy = reader.bool("ACADEMY_ENABLED", default: false) ? Academy(reading: &reader) : nil
        self.booking = self.academy == nil ? nil : BookingSettings.read(&reader)
        if self.academy != nil { self.ai = AISettings.read(&reader) }
        self.google = GoogleSettings.read(&reader)
        self.retention = RetentionSettings.read(&reader)
        self.monitoring = Monitoring.read(&reader, academy: self.academy)
        try reader.validate()
    }
}
