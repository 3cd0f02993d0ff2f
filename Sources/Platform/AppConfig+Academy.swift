extension AppConfig {
    /// Delayed jobs: the email chain, call alerts and lesson reminders run by `due-jobs`.
    public struct Jobs: Sendable {
        /// `JOBS_MAX_ATTEMPTS`: runs of one job before it becomes a dead letter.
        public var maxAttempts: Int
        /// `JOBS_BACKOFF_SECONDS` / `JOBS_BACKOFF_MAX_SECONDS`: retry delay, doubling up to the cap.
        public var backoffSeconds: Double
        public var backoffMaxSeconds: Double
        /// `JOBS_LEASE_SECONDS`: a claimed job whose runner died is run again after this long.
        public var leaseSeconds: Double

        /// The wait after `attempts` failed runs.
        public func backoff(afterAttempts attempts: Int) -> Double {
            min(self.backoffMaxSeconds, self.backoffSeconds * Double(1 << min(max(attempts - 1, 0), 20)))
        }
    }

    /// The Academy bot: Tilda leads, the email chain through Resend, the Telegram bot.
    public struct Academy: Sendable {
        /// How the Tilda webhook is authenticated and which form fields carry the lead.
        public struct Tilda: Sendable {
            /// `TILDA_WEBHOOK_SECRET` (≥ 16 characters).
            public var secret: String
            /// `TILDA_SECRET_HEADER` / `TILDA_SECRET_FIELD` / `TILDA_SECRET_QUERY`: where the secret may be.
            public var secretHeader: String
            public var secretField: String
            public var secretQuery: String
            /// `TILDA_FIELD_NAME`, `TILDA_FIELD_PHONE`, `TILDA_FIELD_EMAIL`, `TILDA_FIELD_CHILD_AGE`.
            public var nameField: String
            public var phoneField: String
            public var emailField: String
            public var childAgeField: String

            public init(
                secret: String, secretHeader: String, secretField: String, secretQuery: String, nameField: String,
                phoneField: String, emailField: String, childAgeField: String
            ) {
                self.secret = secret
                self.secretHeader = secretHeader
                self.secretField = secretField
                self.secretQuery = secretQuery
                self.nameField = nameField
                self.phoneField = phoneField
                self.emailField = emailField
                self.childAgeField = childAgeField
            }
        }

        /// The email chain and its provider.
        public struct Email: Sendable {
            /// `RESEND_API_URL` (default https://api.resend.com) and `RESEND_API_KEY` (`re_...`).
            public var apiURL: String
            public var apiKey: String
            /// `EMAIL_FROM`: `Name <address@verified-domain>`.
            public var from: String
            /// `RESEND_RATE_PER_SECOND`: requests per second shared by every process (Resend allows 2).
            public var ratePerSecond: Int
            /// `EMAIL_TEMPLATES_DIR`: `<template>.<lang>.html` / `.txt` files.
            public var templatesDirectory: String
            /// `EMAIL_1_DELAY_SECONDS` (after the form), `EMAIL_2_DELAY_SECONDS` (after email 1),
            /// `CALL_ALERT_DELAY_SECONDS` (after email 2).
            public var email1Delay: Double
            public var email2Delay: Double
            public var callAlertDelay: Double
        }

        public var tilda: Tilda
        public var email: Email
        /// `TELEGRAM_API_URL` (default https://api.telegram.org) and `TELEGRAM_BOT_TOKEN`.
        public var telegramAPIURL: String
        public var telegramToken: String
        /// `TELEGRAM_WEBHOOK_SECRET`: the `secret_token` Telegram sends in `X-Telegram-Bot-Api-Secret-Token`.
        public var telegramWebhookSecret: String
        /// `TELEGRAM_BOT_USERNAME`: the bot's @username, for `https://t.me/<username>?start=lead_<token>` links.
        public var telegramBotUsername: String
        /// `ACADEMY_MANAGER_LINK`: where parents reach a person (shown when something goes wrong), e.g. https://t.me/academy_manager.
        public var managerLink: String
        /// `ACADEMY_WELCOME_VIDEO_NOTE`: the `file_id` of the welcome video note (bot-specific); empty skips it.
        public var welcomeVideoNoteFileID: String?
        /// `MANAGER_TELEGRAM_CHAT_ID` and/or `MANAGER_EMAIL`: who gets the call alert (at least one).
        public var managerTelegramChatID: Int64?
        public var managerEmail: String?

        init(reading reader: inout EnvironmentReader) {
            self.tilda = Tilda(
                secret: reader.secret("TILDA_WEBHOOK_SECRET"),
                secretHeader: reader.string("TILDA_SECRET_HEADER", default: "X-Tilda-Secret"),
                secretField: reader.string("TILDA_SECRET_FIELD", default: "secret"),
                secretQuery: reader.string("TILDA_SECRET_QUERY", default: "token"),
                nameField: reader.string("TILDA_FIELD_NAME", default: "Name"),
                phoneField: reader.string("TILDA_FIELD_PHONE", default: "Phone"),
                emailField: reader.string("TILDA_FIELD_EMAIL", default: "Email"),
                childAgeField: reader.string("TILDA_FIELD_CHILD_AGE", default: "child_age"))
            self.email = Email(reading: &reader)
            self.telegramAPIURL = reader.url("TELEGRAM_API_URL", default: "https://api.telegram.org")
            self.telegramToken = reader.string("TELEGRAM_BOT_TOKEN")
            if !self.telegramToken.isEmpty, !self.telegramToken.contains(":") {
                reader.fail("TELEGRAM_BOT_TOKEN", "must look like 123456:ABC... (from @BotFather)")
            }
            self.telegramWebhookSecret = reader.secret("TELEGRAM_WEBHOOK_SECRET")
            if self.telegramWebhookSecret.count > 256
                || !self.telegramWebhookSecret.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
            {
                reader.fail("TELEGRAM_WEBHOOK_SECRET", "Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and -")
            }
            self.telegramBotUsername = reader.string("TELEGRAM_BOT_USERNAME")
            if self.telegramBotUsername.hasPrefix("@") { self.telegramBotUsername.removeFirst() }
            if reader.optionalString("ACADEMY_MANAGER_LINK") == nil {
                reader.fail("ACADEMY_MANAGER_LINK", "is required: the link parents get when something goes wrong")
                self.managerLink = ""
            } else {
                self.managerLink = reader.url("ACADEMY_MANAGER_LINK", default: "")
            }
            self.welcomeVideoNoteFileID = reader.optionalString("ACADEMY_WELCOME_VIDEO_NOTE")
            self.managerTelegramChatID = nil
            if let raw = reader.optionalString("MANAGER_TELEGRAM_CHAT_ID") {
                if let id = Int64(raw) {
                    self.managerTelegramChatID = id
                } else {
                    reader.fail("MANAGER_TELEGRAM_CHAT_ID", "must be a numeric Telegram chat id")
                }
            }
            self.managerEmail = reader.optionalString("MANAGER_EMAIL")
            if let email = self.managerEmail, !email.contains("@") {
                reader.fail("MANAGER_EMAIL", "must be an email address")
            }
            if self.managerTelegramChatID == nil, self.managerEmail == nil {
                reader.fail("MANAGER_TELEGRAM_CHAT_ID", "set it or MANAGER_EMAIL: the call alert needs a recipient")
            }
        }
    }
}

extension AppConfig.Academy.Email {
    /// Reads the `RESEND_*`, `EMAIL_*` variables (the Academy's email chain; the alert emails when the Academy is off).
    init(reading reader: inout EnvironmentReader) {
        self.init(
            apiURL: reader.url("RESEND_API_URL", default: "https://api.resend.com"),
            apiKey: reader.string("RESEND_API_KEY"),
            from: reader.string("EMAIL_FROM"),
            ratePerSecond: reader.int("RESEND_RATE_PER_SECOND", default: 2, range: 1...100),
            templatesDirectory: reader.string("EMAIL_TEMPLATES_DIR", default: "resources/emails"),
            email1Delay: reader.seconds("EMAIL_1_DELAY_SECONDS", default: 1800, range: 0...(30 * 86400)),
            email2Delay: reader.seconds("EMAIL_2_DELAY_SECONDS", default: 86400, range: 0...(30 * 86400)),
            callAlertDelay: reader.seconds("CALL_ALERT_DELAY_SECONDS", default: 86400, range: 0...(30 * 86400)))
        if !self.apiKey.isEmpty, !self.apiKey.hasPrefix("re_") {
            reader.fail("RESEND_API_KEY", "must be a Resend key (re_...)")
        }
        if !self.from.isEmpty, !self.from.contains("@") {
            reader.fail("EMAIL_FROM", "must look like Academy <hello@your-domain>")
        }
    }
}
