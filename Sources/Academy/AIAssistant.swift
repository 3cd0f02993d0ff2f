public import BotCore
public import Clients
import FoundationEssentials
public import Logging
public import Platform
import Redis

/// What the assistant has for a parent's question.
public enum AIAnswer: Sendable, Equatable {
    /// The model's answer, postfiltered (allowed links and prices only, length capped).
    case reply(String)
    /// The parent asked too often (`AI_RATE_LIMIT_PER_HOUR`): text key `aiRateLimited`, no API call made.
    case rateLimited
    /// OpenAI (or Redis) failed after the retries: text key `aiUnavailable`.
    case unavailable
}

/// The Academy AI assistant behind the dialog's `askAI` effect (seed "Сценарий 3", after the prefilter,
/// which the dialog runs itself): a per-user sliding-window limit shared by every process, the last turns
/// of the conversation from Redis (`ai_history:<tg user>`, 24 h, trimmed by `AIHistory`), the system prompt,
/// the chat completion, and `AIPostfilter`.
///
/// Runs on a drain worker thread; it blocks that thread (and so that conversation) only.
public struct AIAssistant {
    private let settings: AISettings
    private let openAI: OpenAIClient
    private let redis: LazyRedis
    private let clock: Clock
    private let logger: Logger
    private let postfilter: AIPostfilter

    public init(settings: AISettings, openAI: OpenAIClient, redis: LazyRedis, clock: Clock = .system, logger: Logger) {
        self.settings = settings
        self.openAI = openAI
        self.redis = redis
        self.clock = clock
        self.logger = logger
        self.postfilter = AIPostfilter(
            allowedDomains: Set(settings.allowedDomains), allowedPrices: Set(settings.allowedPrices),
            maxLength: settings.maxReplyCharacters)
    }

    /// The Redis key of a user's conversation.
    public static func historyKey(tgUserID: Int64) -> String { "ai_history:\(tgUserID)" }

    /// The limiter of a user's questions (`rl:{ai:<tg user>}`).
    public func limiter(tgUserID: Int64) -> SlidingWindowLimiter {
        SlidingWindowLimiter(name: "ai:\(tgUserID)", limit: self.settings.rateLimitPerHour, windowSeconds: 3600)
    }

    /// Answers one question (already through `AIGuard.prefilter`).
    /// - Parameter language: the parent's interface language, a hint next to "answer in the question's language".
    public func answer(question: String, tgUserID: Int64, language: AcademyLanguage) -> AIAnswer {
        var metadata: Logger.Metadata = ["tg.user": "\(tgUserID)"]
        do {
            let wait = try self.redis.with { connection in
                try self.limiter(tgUserID: tgUserID).tryAcquire(
                    nowMilliseconds: self.clock.nowMilliseconds, on: connection)
            }
            if wait > 0 {
                metadata["ai.retry_in_seconds"] = "\(Int(wait.rounded(.up)))"
                self.logger.info("ai question rate limited", metadata: metadata)
                return .rateLimited
            }
        } catch {
            metadata["error"] = "\(error)"
            self.logger.error("ai rate limiter unavailable", metadata: metadata)
            return .unavailable
        }

        let history = self.loadHistory(tgUserID: tgUserID)
        let context = AIHistory.trimmed(
            history, maxTurns: self.settings.historyTurns, tokenBudget: self.settings.historyTokenBudget)
        let messages = Self.messages(
            systemPrompt: self.settings.systemPrompt, language: language, history: context, question: question)
        metadata["ai.history_turns"] = "\(context.count)"

        let completion: ChatCompletion
        do {
            completion = try self.openAI.chat(
                model: self.settings.chatModel, messages: messages, maxTokens: self.settings.maxTokens,
                temperature: self.settings.temperature, timeout: self.settings.timeout)
        } catch {
            metadata["openai.error"] = "\(error)"
            self.logger.warning("ai answer unavailable", metadata: metadata)
            return .unavailable
        }
        metadata["openai.finish_reason"] = "\(completion.finishReason ?? "-")"
        metadata["openai.prompt_tokens"] = "\(completion.promptTokens ?? 0)"
        metadata["openai.completion_tokens"] = "\(completion.completionTokens ?? 0)"
        guard let raw = completion.content ?? completion.refusal else {
            self.logger.warning("ai answer without text", metadata: metadata)
            return .unavailable
        }
        let text = completion.finishReason == "length" ? Self.droppingUnfinishedSentence(raw) : raw
        let filtered = self.postfilter.apply(text)
        metadata["ai.removed_links"] = "\(filtered.removedLinks)"
        metadata["ai.removed_prices"] = "\(filtered.removedPrices)"
        metadata["ai.truncated"] = "\(filtered.truncated)"
        guard !filtered.text.isEmpty else {
            self.logger.warning("ai answer empty after the postfilter", metadata: metadata)
            return .unavailable
        }

        // What the parent saw is what the model sees next time (never the removed links or prices).
        let updated = AIHistory.trimmed(
            context + [AITurn(role: .user, content: question), AITurn(role: .assistant, content: filtered.text)],
            maxTurns: self.settings.historyTurns, tokenBudget: self.settings.historyTokenBudget)
        self.saveHistory(updated, tgUserID: tgUserID)
        self.logger.info("ai answered", metadata: metadata)
        return .reply(filtered.text)
    }

    /// System prompt, history oldest first, then the question.
    static func messages(
        systemPrompt: String, language: AcademyLanguage, history: [AITurn], question: String
    ) -> [ChatMessage] {
        let languageName = language == .en ? "английский (en)" : "русский (ru)"
        let system = systemPrompt + "\n\nЯзык интерфейса пользователя: \(languageName)."
        return [ChatMessage(role: .system, content: system)]
            + history.map { ChatMessage(role: $0.role == .user ? .user : .assistant, content: $0.content) }
            + [ChatMessage(role: .user, content: question)]
    }

    /// An answer cut by the token cap ends mid-sentence: keep it up to the last full sentence, if any.
    static func droppingUnfinishedSentence(_ text: String) -> String {
        guard let end = text.lastIndex(where: { ".!?…".contains($0) }) else {
            return text.trimmingSpaces.isEmpty ? text : text.trimmingSpaces + "…"
        }
        return String(text[...end])
    }

    private func loadHistory(tgUserID: Int64) -> [AITurn] {
        do {
            let value = try self.redis.with { try $0.command(["GET", Self.historyKey(tgUserID: tgUserID)]) }
            guard let json = value.string else { return [] }
            return try JSONDecoder().decode([AITurn].self, from: Data(json.utf8))
        } catch {
            // A lost or unreadable history is not worth failing the answer for.
            self.logger.warning(
                "ai history unreadable, answering without it",
                metadata: [
                    "tg.user": "\(tgUserID)", "error": "\(error)",
                ])
            return []
        }
    }

    private func saveHistory(_ turns: [AITurn], tgUserID: Int64) {
        do {
            let json = String(decoding: try JSONEncoder().encode(turns), as: UTF8.self)
            _ = try self.redis.with { connection in
                try connection.command([
                    "SET", Self.historyKey(tgUserID: tgUserID), json, "EX", String(AISettings.historyTTLSeconds),
                ])
            }
        } catch {
            self.logger.warning("ai history not saved", metadata: ["tg.user": "\(tgUserID)", "error": "\(error)"])
        }
    }
}
