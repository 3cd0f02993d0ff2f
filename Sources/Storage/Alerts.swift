public import Logging
import Messages
public import Platform
public import Postgres
public import Redis

/// Short messages to the team's Telegram chat (`ALERT_TELEGRAM_CHAT_ID`) and/or an address (`ALERT_EMAIL`) when
/// something needs a person.
///
/// An alert is an outbox row per channel, so it is sent and retried with backoff like every reply: in the Academy
/// bot's Telegram outbox (channel `telegram`, the chat id as the conversation, like `AcademyTelegramStep.outbox`),
/// which `cron-outbox`'s Academy pass sends; and in channel `alert-email` (conversation `alerts`), which
/// `cron-outbox` sends through Resend (`AlertEmails`) whichever bots are enabled. At most one alert per kind per `ALERT_MIN_INTERVAL_SECONDS`: a Redis `SET NX EX` key per kind,
/// shared by every process and host. The text is masked (phones, emails, token-like words) before it is stored.
public struct Alerts: Sendable {
    /// What needs a person; the raw value names the rate-limit key and heads the message.
    public enum Kind: String, Sendable, CaseIterable {
        case deadLetterInbound = "dead-letter-inbound"
        case deadLetterOutbox = "dead-letter-outbox"
        case deadLetterJob = "dead-letter-job"
        case stall
        case zoomCleanup = "zoom-cleanup"
        case openAIQuota = "openai-quota"

        var title: String {
            switch self {
            case .deadLetterInbound: "Dead letter: an inbound message gave up"
            case .deadLetterOutbox: "Dead letter: a reply could not be sent"
            case .deadLetterJob: "Dead letter: a delayed job gave up"
            case .stall: "Stalled: work is waiting"
            case .zoomCleanup: "Zoom meeting left behind"
            case .openAIQuota: "OpenAI quota exhausted"
            }
        }
    }

    /// The Telegram alerts' outbox: the Academy bot's channel.
    public static let outbox = Outbox(channel: "telegram")
    /// The email alerts' outbox: one conversation, `alerts`, sent in order.
    public static let emailOutbox = Outbox(channel: "alert-email")

    public let chatID: Int64?
    public let email: String?
    public let minIntervalSeconds: Double

    public init(_ monitoring: AppConfig.Monitoring) {
        self.chatID = monitoring.alertTelegramChatID
        self.email = monitoring.alertEmail
        self.minIntervalSeconds = monitoring.alertMinIntervalSeconds
    }

    /// Whether an alert channel is configured.
    public var isEnabled: Bool { self.chatID != nil || self.email != nil }

    /// The Redis key that holds back further alerts of `kind` until it expires.
    public static func limitKey(_ kind: Kind) -> String { "alerts:sent:" + kind.rawValue }

    /// Queues an alert in the outbox unless one of this kind was queued within the interval. Returns whether it was
    /// queued. The rows (one per channel) are written in one round trip, in the caller's open transaction if it has one.
    @discardableResult
    public func raise(kind: Kind, text: String, on postgres: PostgresConnection, redis: RedisConnection) throws -> Bool {
        guard self.isEnabled else { return false }
        let key = Self.limitKey(kind)
        let set = try redis.command(["SET", key, "1", "NX", "EX", String(max(1, Int(self.minIntervalSeconds.rounded(.up))))])
        guard set != .null else { return false }
        let message = Self.message(kind: kind, text: text)
        let source = "alert:\(kind.rawValue):\(UInt64.random(in: 0...UInt64.max))"
        var rows: [PostgresStatement] = []
        if let chatID = self.chatID {
            rows.append(
                Self.outbox.addStatement(
                    conversation: String(chatID), sourceKey: source + ":telegram", payload: Self.payload(chatID: chatID, text: message)))
        }
        if self.email != nil {
            rows.append(
                Self.emailOutbox.addStatement(
                    conversation: "alerts", sourceKey: source + ":email",
                    payload: "{\"subject\":" + JSONText.quote("chatbots: " + kind.title) + ",\"text\":" + JSONText.quote(message) + "}"))
        }
        do {
            try postgres.pipeline(rows)
        } catch {
            // Not queued: let the next occurrence try again instead of holding it back for the whole interval.
            _ = try? redis.command(["DEL", key])
            throw error
        }
        return true
    }

    /// `raise` from a place that must go on whatever happens to the alert (a failed cleanup, an AI answer): opens
    /// the thread's connections if needed and logs, instead of throwing, when the alert cannot be queued.
    public func raise(kind: Kind, text: String, engines: Engines, logger: Logger) {
        guard self.isEnabled else { return }
        do {
            let queued = try engines.redis.with { redis in
                try engines.postgres.with { try self.raise(kind: kind, text: text, on: $0, redis: redis) }
            }
            if queued { logger.notice("alert queued", metadata: ["alert.kind": "\(kind.rawValue)"]) }
        } catch {
            logger.error("alert could not be queued", metadata: ["alert.kind": "\(kind.rawValue)", "error": "\(error)"])
        }
    }

    /// The Telegram outbox row: `sendMessage` to the team chat (see `TelegramOutboxPayload`).
    static func payload(chatID: Int64, text: String) -> String {
        "{\"method\":\"sendMessage\",\"params\":{\"chat_id\":\(chatID),\"text\":" + JSONText.quote(text) + "}}"
    }

    /// The message as the team sees it: the kind's title, then the masked details, short enough for one Telegram
    /// message (4096 characters).
    public static func message(kind: Kind, text: String) -> String {
        let details = Self.mask(text)
        let body = details.count > 3000 ? String(details.prefix(3000)) + "…" : details
        return "⚠️ chatbots: \(kind.title) [\(kind.rawValue)]\n" + body
    }

    /// `text` with phone numbers and emails masked by `Redact` and long token-like words (keys, tokens) replaced,
    /// so an error message quoted in an alert never carries personal data or a secret to the team chat.
    public static func mask(_ text: String) -> String {
        var result = ""
        var word = ""
        func flush() {
            // Punctuation around a word ("(+996555123456)," …) stays; the word inside is judged alone.
            let core = word.drop { "([{\"'<".contains($0) }
            let trimmed = core.reversed().drop { ")]}\"'>,.;:!?".contains($0) }.reversed()
            let inner = String(trimmed)
            let prefix = word.prefix(word.count - core.count)
            let suffix = core.suffix(core.count - inner.count)
            result += prefix + Self.maskWord(inner) + suffix
            word = ""
        }
        for character in text {
            if character.isWhitespace {
                flush()
                result.append(character)
            } else {
                word.append(character)
            }
        }
        flush()
        return result
    }

    private static func maskWord(_ word: String) -> String {
        let digits = word.filter(\.isNumber).count
        if word.contains("@"), let at = word.firstIndex(of: "@"), word[at...].contains(".") {
            return Redact.email(word)
        }
        if digits >= 9, word.allSatisfy({ $0.isNumber || "+-()".contains($0) }) {
            return Redact.phone(word)
        }
        let tokenLike = word.count >= 24 && word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-:.".contains($0)) }
        if tokenLike, word.contains(where: \.isLetter), digits > 0 {
            return "[redacted]"
        }
        return word
    }
}
