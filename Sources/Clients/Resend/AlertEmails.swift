import Curl
public import Logging
import Messages
public import Platform
import Storage

/// Sends the email alerts (`Alerts.emailOutbox`, to `ALERT_EMAIL`) through Resend: `cron-outbox` runs `retryPass`
/// whichever bots are enabled, so a Shoro-only installation gets its alerts too. One attempt per row and pass, then
/// the outbox's backoff; the row id is the Idempotency-Key, so a resend after a crash is not a second email.
public final class AlertEmails {
    let context: WorkerContext
    let to: String
    let client: ResendClient

    /// nil when `ALERT_EMAIL` is not set.
    public init?(config: AppConfig, logger: Logger) {
        guard let to = config.monitoring.alertEmail, let resend = config.monitoring.alertResend else { return nil }
        let context = WorkerContext(config: config, logger: logger)
        self.context = context
        self.to = to
        self.client = ResendClient(
            settings: resend, timeout: config.infrastructure.httpTimeout, connectTimeout: config.infrastructure.httpConnectTimeout,
            http: HTTPClient(), redis: context.engines.redis, retryDelays: [])
    }

    /// Sends the due alert emails; returns how many were delivered.
    public func retryPass() throws -> Int {
        let outbox = Alerts.emailOutbox
        let policy = Outbox.Policy.retryPass(self.context.config.outbound)
        return try self.context.engines.postgres.with { connection in
            guard try !outbox.dueConversations(limit: 1, on: connection).isEmpty else { return 0 }
            switch try outbox.flush(conversation: "alerts", policy: policy, on: connection, send: self.send) {
            case .done(let count): return count
            case .deferred(let count, let error):
                self.context.logger.warning("alert email deferred", metadata: ["error": "\(error)"])
                return count
            case .busy: return 0
            }
        }
    }

    private func send(_ message: Outbox.Message) -> Outbox.SendOutcome {
        guard let row = JSONValue.parse(message.payload)?.objectValue, let subject = row["subject"]?.stringValue,
            let text = row["text"]?.stringValue
        else { return .rejected(error: "not an alert email row") }
        // The text is already masked; in HTML it only needs its markup characters escaped.
        let html = "<pre>" + text.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;") + "</pre>"
        let email = OutgoingEmail(to: self.to, subject: subject, html: html, text: text, idempotencyKey: "alert/\(message.id)")
        switch self.client.send(email) {
        case .sent: return .delivered
        case .retryable(let error): return .failed(error: error, retryAfter: nil)
        case .rejected(let error): return .rejected(error: error)
        case .withdrawn: return .failed(error: "withdrawn", retryAfter: nil)
        }
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, _ replacement: String) -> String {
        var result = ""
        for character in self { if character == target { result += replacement } else { result.append(character) } }
        return result
    }
}
